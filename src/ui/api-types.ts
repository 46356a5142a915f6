// What the dashboard reads: the service's response shapes (derived from its schemas, as the
// client's are), and what it adds to them.
import type { InputSpec, JobStatus } from '../client/types.js';

export type * from '../client/types.js';

export const JOB_STATUSES: readonly JobStatus[] = ['queued', 'running', 'completed', 'failed', 'cancelled'];
export const isFinished = (status: JobStatus) => status === 'completed' || status === 'failed' || status === 'cancelled';

/** The fields of a checkpoint manifest (GET /v1/models/:id/manifest) the dashboard reads. */
export interface Manifest {
  spec: InputSpec;
  dataset: { name: string; classNames: string[] };
  iteration: number;
}
