// The types of the core's entry points (index.ts): training progress and results, evaluation
// reports, predictors. Types only; the data's own types are in ./data/types.ts.
import type { Algorithm, TrainConfig } from './config.js';
import type { ClassDataset, ClassView, FeatureRows, InputSpec } from './data/types.js';
import type { RawExample } from './data/raw-examples.js';
import type { ResumePoint } from './checkpoint/run-dir.js';

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
  /**
   * With cross-validation the fold runs come first; after the last meta-iteration a completed
   * run pre-trains the baseline (when baselines are on), then evaluates on its test classes.
   */
  phase: Phase;
  /** Test episodes scored so far, during the evaluation phase; null before it. */
  evaluation: { done: number; episodes: number } | null;
  /** Supervised updates of the pre-trained baseline so far, during the baseline phase. */
  baseline?: { done: number; steps: number };
  /** Which fold runs (1-based), during the cross-validation phase. */
  fold?: { fold: number; folds: number };
}

export type Phase = 'cross-validation' | 'meta-training' | 'baseline' | 'evaluation';
export const PHASES: readonly Phase[] = ['cross-validation', 'meta-training', 'baseline', 'evaluation'];

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
  /** Wall time of the evaluation; absent in reports from before it was measured. */
  timing?: EvaluationTiming;
  /** Where the evaluation could not do what was asked (fewer ways than requested, ...). */
  warnings?: string[];
}

export interface EvaluationTiming {
  /** The whole evaluation, baseline pre-training included. */
  seconds: number;
  /** Supervised pre-training of the pre-trained baseline; 0 without baselines. */
  baselineSeconds: number;
  /** Milliseconds per test episode: all methods together, and each method alone. */
  msPerEpisode: number;
  methodMsPerEpisode: { meta: number; scratch: number | null; pretrained: number | null };
}

/** One fold of K-fold meta-validation: trained without its classes, scored on them. */
export interface FoldReport {
  /** 1-based. */
  fold: number;
  /** Meta-train classes the fold's run trained on, and the held-out classes it was scored on. */
  trainClasses: number;
  heldOutClasses: number;
  /** Episodes on the held-out classes; null when it has fewer than two classes (no episode possible). */
  evaluation: { episodes: number; ways: number; accuracy: Accuracy } | null;
  iterations: number;
  seconds: number;
}

export interface CrossValidationReport {
  folds: FoldReport[];
  /** Over the folds that could be scored: mean of their accuracies and their standard deviation. */
  accuracy: { mean: number; std: number } | null;
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
  /** Resuming passed over the newest checkpoints (corrupt, half-written): which, why, and where it continues instead. */
  onResumeFallback?: (point: ResumePoint) => void | Promise<void>;
  /** Checked between meta-iterations; an aborted run stops there and keeps its checkpoints. */
  signal?: AbortSignal;
  /** Something the run cannot do as configured (e.g. fewer evaluation ways than asked); it goes on. */
  onWarning?: (message: string) => void | Promise<void>;
  /** A cross-validation fold finished; its report is saved in `dir` (folds.json). */
  onFold?: (fold: FoldReport) => void | Promise<void>;
}

export interface TrainResult {
  status: 'completed' | 'cancelled';
  iterations: number;
  /** Checkpoint directory of the best (validation) weights; the one to serve. */
  bestCheckpoint: string;
  bestValidationAccuracy: number | null;
  evaluation: EvaluationReport | null;
  /** With config.crossValidation: the folds' scores; the served model is trained on every meta-train class. */
  crossValidation?: CrossValidationReport;
  /** Everything onWarning was told, in order. */
  warnings: string[];
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
