// How a training job reads through the API: BullMQ's job states mapped onto the API's job
// statuses (BullMQ is the one source of truth for a job), and the job view built from them.
import type { Job, JobState } from 'bullmq';
import type { JobStatus, JobView } from '../schemas/jobs.js';
import type { TrainJobData, TrainJobReport, TrainJobResult } from './types.js';

export type TrainJob = Job<TrainJobData, TrainJobResult>;

export const QUEUED_STATES: JobState[] = ['waiting', 'delayed', 'prioritized', 'waiting-children'];
/** The BullMQ states a job of each status may be in. */
export const STATES_OF: Record<JobStatus, JobState[]> = {
  queued: QUEUED_STATES,
  running: ['active'],
  completed: ['completed'],
  cancelled: ['completed', ...QUEUED_STATES],
  failed: ['failed'],
};
export const ALL_STATES: JobState[] = [...QUEUED_STATES, 'active', 'completed', 'failed'];
const TERMINAL: JobStatus[] = ['completed', 'failed', 'cancelled'];
export const isTerminal = (status: JobStatus) => TERMINAL.includes(status);

const iso = (ms: number | undefined) => (ms ? new Date(ms).toISOString() : undefined);

function statusOf(job: TrainJob, state: JobState | 'unknown', cancelledAt: string | null): JobStatus {
  switch (state) {
    case 'completed':
      return job.returnvalue.status;
    case 'failed':
      return 'failed';
    case 'active':
      return 'running';
    default:
      // A queued job whose cancel flag is set will never train: the worker that takes it ends it at once.
      return cancelledAt ? 'cancelled' : 'queued';
  }
}

/** The API's view of `job` in `state`; `cancelledAt`: when its cancel flag was raised, if it was. */
export function toView(job: TrainJob, state: JobState | 'unknown', cancelledAt: string | null): JobView {
  const status = statusOf(job, state, cancelledAt);
  const reported = (job.progress && typeof job.progress === 'object' ? job.progress : null) as TrainJobReport | null;
  const modelId = state === 'completed' ? job.returnvalue.modelId : null;
  return {
    id: job.id!,
    status,
    datasetId: job.data.datasetId,
    tenant: job.data.tenant,
    algorithm: job.data.config.algorithm,
    progress: reported?.progress ?? null,
    checkpoints: reported?.checkpoints.map((c) => c.iteration) ?? [],
    ...(modelId ? { modelId } : {}),
    ...(status === 'failed' ? { error: job.failedReason } : {}),
    ...(reported?.backend ? { backend: reported.backend } : {}),
    ...(job.data.sampling ? { sampling: job.data.sampling } : {}),
    warnings: reported?.warnings ?? [],
    attempts: job.attemptsStarted,
    createdAt: iso(job.timestamp)!,
    ...(job.processedOn ? { startedAt: iso(job.processedOn) } : {}),
    ...(isTerminal(status) ? { finishedAt: iso(job.finishedOn) ?? cancelledAt ?? undefined } : {}),
  };
}
