// The API side of training: enqueue, read job state, cancel, follow events. BullMQ is the one
// source of truth for a job; job-view.ts maps its states onto the API's job statuses.
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ServiceConfig } from '../config.js';
import { ServiceError } from '../errors.js';
import type { MetricPoint } from '../schemas/job-metrics.js';
import { newId } from '../ids.js';
import type { Logger } from '../logger.js';
import { createRedis } from '../redis.js';
import type { JobStatus, JobView } from '../schemas/jobs.js';
import { CancelFlags } from './cancel-flags.js';
import { hashRequest, idForKey } from './idempotency.js';
import { JobEvents } from './job-events.js';
import { ALL_STATES, isTerminal, QUEUED_STATES, STATES_OF, toView, type TrainJob } from './job-view.js';
import { MetricHistory } from './metric-history.js';
import { TRAIN_QUEUE, type TrainJobData, type TrainJobResult } from './types.js';

export { isTerminal };

export class TrainQueue {
  private bullQueue: Queue<TrainJobData, TrainJobResult> | null = null;
  /** BullMQ leaves connections it was handed open on close(); these are closed here. */
  private readonly connections: Redis[] = [];
  private readonly history: MetricHistory;
  private readonly cancelFlags: CancelFlags;
  private readonly events: JobEvents;

  constructor(
    private readonly config: ServiceConfig,
    private readonly redisUrl: string,
    redis: Redis,
    private readonly log: Logger,
  ) {
    this.history = new MetricHistory(redis, config.prefix);
    this.cancelFlags = new CancelFlags(redis, config.prefix, config.jobs.keep.age);
    this.events = new JobEvents(() => this.connect('worker', 'fewshot-api-events'), config.prefix, log);
  }

  // Created on first use: a BullMQ queue connects at once, and building the app must not.
  get queue(): Queue<TrainJobData, TrainJobResult> {
    if (!this.bullQueue) {
      const connection = this.connect('client', 'fewshot-api-queue');
      const queue = new Queue<TrainJobData, TrainJobResult>(TRAIN_QUEUE, {
        connection,
        prefix: this.config.prefix,
        defaultJobOptions: {
          attempts: 1,
          removeOnComplete: this.config.jobs.keep,
          removeOnFail: this.config.jobs.keep,
        },
      });
      queue.on('error', (error) => this.log.error({ err: error }, 'training queue error'));
      // BullMQ never retries a queue whose first connection failed (Redis down then): this request
      // fails (503) and the next one builds a fresh queue.
      queue.waitUntilReady().catch(() => {
        if (this.bullQueue === queue) this.bullQueue = null;
        this.connections.splice(this.connections.indexOf(connection), 1);
        connection.disconnect();
      });
      this.bullQueue = queue;
    }
    return this.bullQueue;
  }

  /**
   * Adds a job, or returns the one an earlier request with the same Idempotency-Key created.
   * `admit` runs the adding of a new job (a tenant's caps may refuse it); a retry is not a new job.
   */
  async enqueue(
    data: Omit<TrainJobData, 'requestHash'>,
    idempotencyKey?: string,
    admit: (add: () => Promise<unknown>) => Promise<unknown> = (add) => add(),
  ): Promise<JobView> {
    const requestHash = hashRequest(data);
    const id = idempotencyKey ? idForKey(data.tenant, idempotencyKey) : newId('job');
    const earlier = idempotencyKey ? await this.queue.getJob(id) : undefined;
    if (!earlier) await admit(() => this.queue.add('train', { ...data, requestHash }, { jobId: id }));
    // `add` answers with the job as requested; what Redis holds may be an earlier request's job.
    const job = earlier ?? (await this.queue.getJob(id));
    if (job && job.data.requestHash !== requestHash) {
      throw new ServiceError('conflict', 'this Idempotency-Key was used for a different request', { jobId: id });
    }
    const view = await this.get(id);
    if (!view) throw new ServiceError('conflict', 'the job was removed while it was being created');
    return view;
  }

  async get(id: string): Promise<JobView | null> {
    // State first, then the job: a job read after its state is at least as new, so a
    // 'completed' state always comes with its return value.
    const [state, cancelledAt] = await Promise.all([this.queue.getJobState(id), this.cancelFlags.get(id)]);
    const job = state === 'unknown' ? undefined : ((await this.queue.getJob(id)) as TrainJob | undefined);
    return job ? toView(job, state, cancelledAt) : null;
  }

  /** Newest first, of every tenant or of one. Finished jobs are bounded by retention, so reading whole state lists stays cheap. */
  async list(status: JobStatus | undefined, limit: number, tenant?: string): Promise<JobView[]> {
    const states = status ? STATES_OF[status] : ALL_STATES;
    const byState = await Promise.all(
      states.map(async (state) => ({ state, jobs: (await this.queue.getJobs([state])) as TrainJob[] })),
    );
    const entries = byState.flatMap(({ state, jobs }) =>
      jobs.filter((job) => job && (tenant === undefined || job.data.tenant === tenant)).map((job) => ({ state, job })),
    );
    const flags = await this.cancelFlags.getMany(entries.map(({ job }) => job.id!));
    return entries
      .map(({ state, job }, i) => toView(job, state, flags[i]))
      .filter((view) => !status || view.status === status)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
      .slice(0, limit);
  }

  /** The job's metric history (past iteration `after`), or null when there is no such job. */
  async metrics(id: string, after?: number): Promise<MetricPoint[] | null> {
    // A history outlives its job only until the next sweep: the job decides whether it exists.
    if ((await this.queue.getJobState(id)) === 'unknown') return null;
    return this.history.read(id, after);
  }

  /**
   * Raises the job's cancel flag. A running job stops at its next meta-iteration (keeping its
   * checkpoints); a queued one ends as soon as a worker takes it.
   */
  async cancel(id: string): Promise<JobView | null> {
    const view = await this.get(id);
    if (!view || isTerminal(view.status)) return view;
    await this.cancelFlags.raise(id);
    this.events.notify(id); // a queued job turns cancelled without any queue event
    return this.get(id);
  }

  /** Jobs of `tenant` that are queued or running (not cancelled). */
  async activeCount(tenant: string): Promise<number> {
    const [queued, running] = await Promise.all([this.list('queued', Infinity, tenant), this.list('running', Infinity, tenant)]);
    return queued.length + running.length;
  }

  /** Whether a queued or running job trains on `datasetId`. */
  async usesDataset(datasetId: string): Promise<boolean> {
    const jobs = (await this.queue.getJobs([...QUEUED_STATES, 'active'])) as TrainJob[];
    return jobs.some((job) => job?.data.datasetId === datasetId);
  }

  async workers(): Promise<string[]> {
    const workers = await this.queue.getWorkers();
    // BullMQ names a worker's connection "<queue key>:w:<worker name>" (the name is host:pid here).
    return workers.map((w) => w.rawname?.split(':w:')[1] || w.addr || 'unknown');
  }

  counts() {
    return this.queue.getJobCounts('waiting', 'active', 'completed', 'failed', 'delayed', 'prioritized');
  }

  /** Calls `listener` whenever something happens to job `id`; returns the unsubscribe function. */
  follow(id: string, listener: () => void): Promise<() => void> {
    return this.events.follow(id, listener);
  }

  private connect(role: 'client' | 'worker', name: string): Redis {
    const connection = createRedis(this.redisUrl, role, name);
    this.connections.push(connection);
    return connection;
  }

  async close(): Promise<void> {
    await Promise.all([this.bullQueue?.close(), this.events.close()]);
    await Promise.all(this.connections.map((c) => c.quit().catch(() => c.disconnect())));
  }
}
