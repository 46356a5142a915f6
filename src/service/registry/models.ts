import type { Redis } from 'ioredis';
import type { Algorithm, BackendSummary, CrossValidationReport, EvaluationReport, TrainConfig } from '../core.js';
import { RecordStore } from './records.js';

export interface ModelRecord {
  id: string;
  jobId: string;
  datasetId: string;
  datasetName: string;
  algorithm: Algorithm;
  config: TrainConfig;
  evaluation: EvaluationReport | null;
  bestValidationAccuracy: number | null;
  iterations: number;
  /** Storage key of the checkpoint that is served (the best on validation). */
  checkpoint: string;
  checkpoints: { iteration: number; key: string }[];
  tenant: string;
  /** Bytes its stored checkpoints take. */
  bytes: number;
  backend: BackendSummary | null;
  /** Absent in records from before cross-validation. */
  crossValidation?: CrossValidationReport | null;
  warnings?: string[];
  createdAt: string;
}

export const modelRegistry = (redis: Redis, prefix: string) => new RecordStore<ModelRecord>(redis, prefix, 'model');
export type ModelRegistry = ReturnType<typeof modelRegistry>;

/** One job makes at most one model: its id follows from the job's, so a resumed run cannot register twice. */
export const modelIdForJob = (jobId: string) => `mdl_${jobId.replace(/^job_/, '')}`;
