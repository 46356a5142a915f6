// Configuration of one meta-training run. The service validates user input into this
// shape (zod at the edge); the core trusts it.
import type { TextFeaturesConfig } from './data/text/features.js';

export type Algorithm = 'maml' | 'fomaml' | 'reptile' | 'protonet' | 'metasgd' | 'anil';
export const ALGORITHMS: readonly Algorithm[] = ['maml', 'fomaml', 'reptile', 'protonet', 'metasgd', 'anil'];

/** How the conv encoders normalise (models/normalization.ts); all are non-transductive. */
export type Norm = 'tasknorm' | 'support' | 'instance';
export const NORMS: readonly Norm[] = ['tasknorm', 'support', 'instance'];

export interface ModelConfig {
  /** Conv filters per block of the image encoder (conv4: 4 blocks). */
  filters: number;
  /** Hidden widths of the text/vector encoders (MLP). */
  hidden: number[];
  /** Width every modality is projected to before fusion; used only when the data has several modalities. */
  fusionDim: number;
  /** Normalisation of the image and strokes encoders; absent in older checkpoints: 'support'. */
  norm?: Norm;
}

export interface TrainConfig {
  algorithm: Algorithm;
  model: ModelConfig;
  episode: { ways: number; shots: number; queries: number };
  inner: { steps: number; lr: number };
  outer: { lr: number; metaBatchSize: number; iterations: number };
  /** Validate every `every` iterations on `episodes` validation tasks; keep the best. 0 disables. */
  validation: { every: number; episodes: number };
  checkpointEvery: number;
  seed: number;
  /** Test episodes (default: scaled to the training budget, see defaultEvaluationEpisodes) and whether both baselines are scored on them. */
  evaluation: { episodes: number; baselines: boolean };
  /**
   * K-fold meta-validation: the meta-train classes are dealt into `folds` folds and one run per
   * fold trains on the others, for `iterations` each (default outer.iterations, the served
   * model's own budget, so each fold estimates it: the job costs folds + 1 runs); then the served
   * model trains on all of them.
   */
  crossValidation?: { folds: number; iterations: number };
  /** Fractions of classes for meta-train / validation / test. */
  split: { train: number; validation: number; test: number };
  /** Add 90/180/270-degree rotations of meta-train and validation image classes as new classes (Omniglot protocol). */
  rotations: boolean;
  /**
   * Tasks of a meta-batch computed together in one set of kernel calls (per-task fast weights
   * get a leading task axis). Same numbers either way; 'auto' picks what is fastest on the
   * backend (see training/task-batch.ts).
   */
  taskBatch: number | 'auto';
  /**
   * Text features (data/text/features.ts). What is unset comes from the dataset's choice, then
   * the default (data/text/dataset-text.ts); checkpoints store the resolved choice.
   */
  text?: Partial<TextFeaturesConfig>;
}

/**
 * Test episodes when none are asked for: the literature's 600 for a full-size run, fewer for a
 * small training budget, whose evaluation would otherwise outlast its training many times over
 * (a 3-way text job of 200 × 32 tasks trained in 2 s and evaluated 600 episodes with baselines
 * for over 2 minutes). One episode per 50 tasks meta-trained, between 100 and 600: the default
 * 1000 × 32 tasks still gets the literature's 600.
 */
export function defaultEvaluationEpisodes(outer: { iterations: number; metaBatchSize: number }): number {
  return Math.min(600, Math.max(100, Math.round((outer.iterations * outer.metaBatchSize) / 50)));
}

export const DEFAULT_MODEL: ModelConfig = { filters: 64, hidden: [256, 128], fusionDim: 64, norm: 'support' };

/** Any subset of a TrainConfig; each nested group is merged over its defaults. */
export type TrainConfigOverrides = {
  [K in keyof TrainConfig]?: NonNullable<TrainConfig[K]> extends object ? Partial<NonNullable<TrainConfig[K]>> : TrainConfig[K];
};

export function defaultTrainConfig(overrides: TrainConfigOverrides = {}): TrainConfig {
  const algorithm = overrides.algorithm ?? 'maml';
  const outer = {
    lr: algorithm === 'reptile' ? 1.0 : 1e-3,
    metaBatchSize: 32,
    iterations: 1000,
    ...overrides.outer,
  };
  return {
    algorithm,
    model: { ...DEFAULT_MODEL, ...overrides.model },
    episode: { ways: 5, shots: 1, queries: 15, ...overrides.episode },
    inner: { steps: algorithm === 'reptile' ? 5 : 1, lr: algorithm === 'reptile' ? 0.1 : 0.4, ...overrides.inner },
    outer,
    validation: { every: 100, episodes: 50, ...overrides.validation },
    checkpointEvery: overrides.checkpointEvery ?? 100,
    seed: overrides.seed ?? 1,
    evaluation: { episodes: defaultEvaluationEpisodes(outer), baselines: true, ...overrides.evaluation },
    split: { train: 0.7, validation: 0.1, test: 0.2, ...overrides.split },
    rotations: overrides.rotations ?? false,
    taskBatch: overrides.taskBatch ?? 'auto',
    ...(overrides.crossValidation?.folds
      ? { crossValidation: { folds: overrides.crossValidation.folds, iterations: overrides.crossValidation.iterations ?? outer.iterations } }
      : {}),
    ...(overrides.text ? { text: { ...overrides.text } } : {}),
  };
}
