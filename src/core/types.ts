// The types of the core's entry points (index.ts): training progress and results, evaluation
// reports, predictors. Types only; the data's own types are in ./data/types.ts.
import type { Algorithm, TrainConfig } from './config.js';
import type { ClassDataset, ClassView, FeatureRows, InputSpec } from './data/types.js';
import type { RawExample } from './data/raw-examples.js';

export interface Progress {
  iteration: number;
  iterations: number;
  /** Mean meta-training query loss / accuracy over the last meta-batch. */
  loss: number;
  accuracy: number;
  /** Latest validation accuracy, null until the first validation. */
  validationAccuracy: number | null;
  tasksPerSecond: number;
  etaSeconds: number;
  /** After the last meta-iteration a completed run evaluates on its test classes. */
  phase: 'meta-training' | 'evaluation';
  /** Test episodes scored so far, during the evaluation phase; null before it. */
  evaluation: { done: number; episodes: number } | null;
}

export interface Accuracy {
  mean: number;
  /** Half-width of the 95% confidence interval over episodes. */
  ci95: number;
}

export interface EvaluationReport {
  episodes: number;
  ways: number;
  shots: number;
  queries: number;
  accuracy: Accuracy;
  /** Same episodes: (a) the network trained from scratch on each support set,
   *  (b) supervised pre-training on all meta-train classes, then the head fine-tuned. */
  baselines: { scratch: Accuracy; pretrained: Accuracy } | null;
}

export interface CheckpointInfo {
  iteration: number;
  path: string;
}

/** Which (possibly rotated) classes meta-train, validate and test. */
export interface DataSplit {
  train: ClassView[];
  validation: ClassView[];
  test: ClassView[];
}

export interface TrainRunOptions {
  dataset: ClassDataset;
  config: TrainConfig;
  /** A fixed class split (e.g. Omniglot's background/evaluation); otherwise config.split's fractions. */
  split?: DataSplit;
  /** Directory that holds this run's checkpoints (created if missing). */
  dir: string;
  /** Continue from the newest checkpoint in `dir` when there is one. */
  resume?: boolean;
  onProgress?: (progress: Progress) => void | Promise<void>;
  onCheckpoint?: (checkpoint: CheckpointInfo) => void | Promise<void>;
  /** Checked between meta-iterations; an aborted run stops there and keeps its checkpoints. */
  signal?: AbortSignal;
}

export interface TrainResult {
  status: 'completed' | 'cancelled';
  iterations: number;
  /** Checkpoint directory of the best (validation) weights; the one to serve. */
  bestCheckpoint: string;
  bestValidationAccuracy: number | null;
  evaluation: EvaluationReport | null;
}

/** A model loaded for serving: adapt once on a support set, then predict many times. */
export interface Predictor {
  readonly algorithm: Algorithm;
  readonly spec: InputSpec;
  /** Rows of raw examples as this model reads them (its input spec, its run's fitted text features). */
  featurize(examples: readonly RawExample[]): Promise<FeatureRows>;
  /** Most labels one support set may hold (MAML's head width); Infinity for prototypical networks. */
  readonly maxWays: number;
  readonly defaultSteps: number;
  /** `labels[i]` in 0..ways-1 is the class of support row i. */
  adapt(support: FeatureRows, labels: Int32Array, ways: number, steps?: number): AdaptedTask;
  dispose(): void;
}

export interface AdaptedTask {
  readonly ways: number;
  /** Class probabilities, row-major: n * ways. Asynchronous because GPU backends can only read back asynchronously in Node. */
  predict(query: FeatureRows): Promise<Float32Array>;
  dispose(): void;
}
