// The HTTP contract as the dashboard reads it; the shapes mirror src/service/schemas/*.ts.
import type { Accuracy, EvaluationReport, Progress } from '../core/api.js';

export type { Accuracy, EvaluationReport, Progress };

export type Modality = 'image' | 'text' | 'vector';
export type JobStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
export const JOB_STATUSES: readonly JobStatus[] = ['queued', 'running', 'completed', 'failed', 'cancelled'];
export const isFinished = (status: JobStatus) => status === 'completed' || status === 'failed' || status === 'cancelled';

export interface BackendInfo {
  name: string;
  device: string | null;
}

export interface Job {
  id: string;
  status: JobStatus;
  datasetId: string;
  algorithm: string;
  progress: Progress | null;
  checkpoints: number[];
  modelId?: string;
  error?: string;
  backend?: BackendInfo;
  attempts: number;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
}

export interface MetricPoint {
  iteration: number;
  phase: Progress['phase'];
  loss: number | null;
  accuracy: number | null;
  validationAccuracy: number | null;
  tasksPerSecond: number;
  time: string;
}

export interface ModelSummary {
  id: string;
  jobId: string;
  datasetId: string;
  datasetName: string;
  algorithm: string;
  accuracy: Accuracy | null;
  createdAt: string;
}

export interface Model extends ModelSummary {
  config: Record<string, unknown>;
  evaluation: EvaluationReport | null;
  bestValidationAccuracy: number | null;
  iterations: number;
  checkpoints: { iteration: number }[];
  backend: BackendInfo | null;
}

export interface InputSpec {
  image?: { height: number; width: number; channels: number };
  text?: { features: number };
  vector?: { dim: number };
}

/** The fields of a checkpoint manifest the dashboard reads. */
export interface Manifest {
  spec: InputSpec;
  dataset: { name: string; classNames: string[] };
  iteration: number;
}

export interface DatasetSummary {
  id: string;
  name: string;
  numClasses: number;
  numExamples: number;
  modalities: Modality[];
  createdAt: string;
}

export interface Dataset extends DatasetSummary {
  classes: { name: string; examples: number }[];
  spec: InputSpec;
  split?: { train: number[]; validation: number[]; test: number[] };
}

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

export interface Example {
  label: string;
  image?: string;
  text?: string;
  vector?: number[];
}
export type Query = Omit<Example, 'label'>;

export interface Prediction {
  label: string;
  confidence: number;
  scores: Record<string, number>;
}

export interface Adaptation {
  id: string;
  modelId: string;
  labels: string[];
  steps: number;
  expiresAt: string;
}
