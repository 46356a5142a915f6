import type { BackendSummary, Progress, SamplingPlan, TrainConfig } from '../core.js';

export const TRAIN_QUEUE = 'train';

export interface TrainJobData {
  datasetId: string;
  /** The dataset's tenant, which owns the job and its model. */
  tenant: string;
  config: TrainConfig;
  /** Classes per split and those left out of sampling, as planned when the job was created (absent in older jobs). */
  sampling?: SamplingPlan;
  /** Hash of the request that created the job; an Idempotency-Key retry must match it. */
  requestHash: string;
}

/**
 * What the training child reports through job.updateProgress: BullMQ keeps it as the job's
 * `progress`, of which the run's own Progress is one part. (The field names are stored in Redis
 * with every job, so they stay.)
 */
export interface TrainJobReport {
  backend: BackendSummary | null;
  /** The run's latest meta-training/evaluation progress; null before its first iteration. */
  progress: Progress | null;
  /** Checkpoints written so far (all attempts), oldest first; `key` is the storage key. */
  checkpoints: { iteration: number; key: string }[];
  /** What the run cannot do as configured, each once (all attempts). */
  warnings?: string[];
}

export interface TrainJobResult {
  status: 'completed' | 'cancelled';
  iterations: number;
  modelId: string | null;
}

/** Why a run's AbortSignal fired: a user's cancel, or the worker shutting down (the job is resumed elsewhere). */
export type StopReason = 'cancelled' | 'shutdown';

/** Cancellation is a flag in Redis, so it reaches workers on any machine. */
export const cancelKey = (prefix: string, jobId: string) => `${prefix}:cancel:${jobId}`;
