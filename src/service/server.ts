// Starts what a process runs: the API, a training worker, or both, and stops them in order.
import { buildApp } from './app.js';
import type { ServiceConfig } from './config.js';
import { createDeps } from './deps.js';
import type { Logger } from './logger.js';
import { startTrainWorker } from './queue/worker.js';

export interface Running {
  /** Where the API listens, when this process serves it. */
  url: string | null;
  close(): Promise<void>;
}

export async function start(config: ServiceConfig, redisUrl: string, log: Logger, run: { api: boolean; worker: boolean }): Promise<Running> {
  const worker = run.worker ? startTrainWorker(config, redisUrl, log.child({ component: 'worker' })) : null;
  if (!run.api) return { url: null, close: async () => worker?.close() };

  const deps = createDeps(config, redisUrl, log);
  const app = await buildApp(deps);
  const url = await app.listen({ port: config.port, host: config.host });
  let closing = false;
  // Load the backend now, not on the first prediction.
  deps.runner.start().catch((error: unknown) => {
    if (!closing) log.error({ err: error }, 'the prediction backend failed to start');
  });
  return {
    url,
    async close() {
      closing = true;
      // In parallel: the API lets requests in flight finish (and ends event streams) while
      // running jobs stop at their next iteration and go back to the queue.
      await Promise.all([app.close(), worker?.close()]);
      await deps.close();
    },
  };
}
