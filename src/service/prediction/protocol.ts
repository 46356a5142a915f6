// Messages between the API process and its prediction child (IPC, structured clone).
import type { BackendSummary, RawExample } from '../core.js';

export interface AdaptRequest {
  op: 'adapt';
  modelId: string;
  /** Local path of the model's checkpoint. */
  checkpoint: string;
  support: RawExample[];
  steps?: number;
  /** Keep the adapted weights under this id until `expiresAt` (ms). */
  keep?: { adaptationId: string; expiresAt: number };
  /** Without `keep`: classify these with the adapted weights, then forget them. */
  queries?: RawExample[];
}

export interface PredictRequest {
  op: 'predict';
  adaptationId: string;
  queries: RawExample[];
}

export type Request =
  | AdaptRequest
  | PredictRequest
  | { op: 'release'; adaptationId: string }
  | { op: 'drop-model'; modelId: string }
  /** What the process holds: tests check that hostile requests leak no tensors. */
  | { op: 'memory' };

export interface ChildMemory {
  tensors: number;
  heapUsed: number;
  rss: number;
}

/** The prediction process's share of a request (timing.ts); the runner adds queue and hop. */
export interface ChildTiming {
  decodeMs: number;
  adaptMs: number;
  forwardMs: number;
}

export interface AdaptResult {
  labels: string[];
  steps: number;
  ms: number;
  /** Row-major queries × labels, when the request had queries. */
  probabilities?: number[];
  timing: ChildTiming;
}

export interface PredictResult {
  labels: string[];
  probabilities: number[];
  timing: ChildTiming;
}

export type Result<R extends Request> = R extends AdaptRequest
  ? AdaptResult
  : R extends PredictRequest
    ? PredictResult
    : R extends { op: 'memory' }
      ? ChildMemory
      : null;

/** `adaptation_missing`: the child does not hold those weights (evicted, expired, restarted). */
export interface WireError {
  code: string;
  message: string;
  details?: unknown;
}

export type ChildMessage =
  | { type: 'ready'; backend: BackendSummary; /** why native kernels are not in use */ fallback: string | null }
  | { type: 'failed'; error: WireError }
  | { type: 'reply'; id: number; ok: true; value: unknown }
  | { type: 'reply'; id: number; ok: false; error: WireError };

export interface ParentMessage {
  id: number;
  request: Request;
}
