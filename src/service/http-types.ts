// The JSON the API answers with, as plain TypeScript types for clients that cannot import the zod
// schemas in schemas/*.ts (the dashboard in a browser, the demo's client). Type-only, and free of
// Node and of the core's runtime, so a browser build can check against it; the shapes mirror the
// schemas, whose tests pin what the service really sends.
import type { Accuracy, CrossValidationReport, EvaluationReport, Progress } from '../core/api.js';

export type { Accuracy, CrossValidationReport, EvaluationReport, Progress };

export type Modality = 'image' | 'text' | 'vector' | 'strokes';

export interface TextFeatures {
  features: 'tfidf-svd' | 'hashing';
  dim: number;
}
export type Algorithm = 'maml' | 'fomaml' | 'reptile' | 'protonet' | 'metasgd' | 'anil';
export type JobStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

export interface Example {
  label: string;
  text?: string;
  /** PNG or JPEG, base64 or a data: URL. */
  image?: string;
  vector?: number[];
  /** Pen strokes: each a list of [x, y] or [x, y, t] points. */
  strokes?: number[][][];
}
export type Query = Omit<Example, 'label'>;

export interface InputSpec {
  image?: { height: number; width: number; channels: number };
  text?: { features: number };
  vector?: { dim: number };
  strokes?: { points: number };
}

export interface DatasetSummary {
  id: string;
  name: string;
  numClasses: number;
  numExamples: number;
  modalities: Modality[];
  /** The text features jobs on it use unless they choose their own. */
  text?: TextFeatures;
  tenant: string;
  /** Size of the stored dataset file. */
  bytes: number;
  createdAt: string;
}

export interface Dataset extends DatasetSummary {
  classes: { name: string; examples: number }[];
  spec: InputSpec;
  /** The publisher's class split (indices into classes), when the data has one. */
  split?: { train: readonly number[]; validation: readonly number[]; test: readonly number[] };
}

/** GET /v1/datasets/:id/samples */
export interface SamplePage {
  datasetId: string;
  totalClasses: number;
  offset: number;
  classes: {
    index: number;
    name: string;
    examples: number;
    samples: { row: number; image?: string; vector?: number[] }[];
    texts: string[];
  }[];
}

export interface Backend {
  name: string;
  device: string | null;
}

export interface Job {
  id: string;
  status: JobStatus;
  datasetId: string;
  algorithm: Algorithm;
  progress: Progress | null;
  checkpoints: number[];
  modelId?: string;
  error?: string;
  backend?: Backend;
  warnings: string[];
  attempts: number;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
}

/** One point of GET /v1/jobs/:id/metrics. */
export interface MetricPoint {
  iteration: number;
  phase: Progress['phase'];
  /** Mean meta-training query loss / accuracy over the iterations since the previous point (null: not a number). */
  loss: number | null;
  accuracy: number | null;
  /** Measured at this iteration; null where no validation ran. */
  validationAccuracy: number | null;
  tasksPerSecond: number;
  time: string;
}

export interface ModelSummary {
  id: string;
  jobId: string;
  datasetId: string;
  datasetName: string;
  algorithm: Algorithm;
  accuracy: Accuracy | null;
  createdAt: string;
}

export interface Model extends ModelSummary {
  config: Record<string, unknown>;
  evaluation: EvaluationReport | null;
  bestValidationAccuracy: number | null;
  iterations: number;
  checkpoints: { iteration: number }[];
  backend: Backend | null;
  crossValidation: CrossValidationReport | null;
  warnings: string[];
}

export interface Prediction {
  label: string;
  confidence: number;
  scores: Record<string, number>;
}

export interface PredictResponse {
  predictions: Prediction[];
  adaptation: { steps: number; ms: number };
}

export interface Adaptation {
  id: string;
  modelId: string;
  labels: string[];
  steps: number;
  expiresAt: string;
}

export interface Readiness {
  status: 'ready' | 'not_ready';
  redis: { ok: boolean; latencyMs: number | null; error?: string };
  backend: Backend & { error?: string };
  workers: { count: number; names: string[] };
  /** Present while the server shuts down. */
  draining?: true;
}
