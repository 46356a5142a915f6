// A BullMQ worker for training jobs. Each job runs in a forked child (processor.ts), so this
// process only relays messages and renews locks, and a blocked TensorFlow.js loop cannot lose them.
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'bullmq';
import { childOptions } from '../child-options.js';
import type { ServiceConfig } from '../config.js';
import type { Logger } from '../logger.js';
import { createRedis } from '../redis.js';
import { MetricHistory } from './metric-history.js';
import { TRAIN_QUEUE, type StopReason, type TrainJobData, type TrainJobResult } from './types.js';

const PROCESSOR = fileURLToPath(new URL('./processor.ts', import.meta.url));

export interface TrainWorker {
  readonly worker: Worker<TrainJobData, TrainJobResult>;
  /** Resolves when this worker's Redis connection answers. */
  ping(): Promise<unknown>;
  /** Stops running jobs at their next iteration, hands them back to the queue, then disconnects. */
  close(): Promise<void>;
}

export function startTrainWorker(config: ServiceConfig, redisUrl: string, log: Logger): TrainWorker {
  const connection = createRedis(redisUrl, 'worker', 'fewshot-worker');
  const worker = new Worker<TrainJobData, TrainJobResult>(TRAIN_QUEUE, PROCESSOR, {
    connection,
    prefix: config.prefix,
    name: `${hostname()}:${process.pid}`,
    concurrency: config.jobs.concurrency,
    lockDuration: config.jobs.lockMs,
    stalledInterval: config.jobs.stalledIntervalMs,
    maxStalledCount: config.jobs.maxStalled,
    workerForkOptions: childOptions(config, redisUrl),
  });
  worker.on('active', (job) => log.info({ jobId: job.id, attempt: job.attemptsStarted }, 'training job started'));
  worker.on('completed', (job, result) => log.info({ jobId: job.id, ...result }, 'training job finished'));
  worker.on('failed', (job, error) => log.warn({ jobId: job?.id, err: error }, 'training job failed'));
  worker.on('error', (error) => log.error({ err: error }, 'training worker error'));

  // BullMQ's retention removes old finished jobs as another one finishes; their histories go then.
  const client = createRedis(redisUrl, 'client', 'fewshot-worker-history');
  const history = new MetricHistory(client, config.prefix);
  const sweep = () =>
    history.sweep((id) => worker.toKey(id)).catch((error: unknown) => log.warn({ err: error }, 'sweeping metric histories failed'));
  let sweeping = sweep();
  for (const event of ['completed', 'failed'] as const) worker.on(event, () => (sweeping = sweeping.then(sweep)));
  log.info({ concurrency: config.jobs.concurrency, queue: TRAIN_QUEUE, prefix: config.prefix }, 'training worker started');

  return {
    worker,
    ping: () => connection.ping(),
    async close() {
      worker.cancelAllJobs('shutdown' satisfies StopReason);
      await worker.close();
      await sweeping;
      await Promise.all([connection, client].map((c) => c.quit().catch(() => c.disconnect())));
    },
  };
}
