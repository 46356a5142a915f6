// Starts what a process runs: the API, a training worker, or both, and stops them in order.
import { readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { buildApp } from './app.js';
import { ConfigError, type ServiceConfig } from './config.js';
import { createDeps, type AppDeps } from './deps.js';
import type { Logger } from './logger.js';
import { startTrainWorker } from './queue/worker.js';
import { isRedisUnavailable } from './redis.js';
import { parseKeySeeds } from './registry/keys.js';
import { serveWorkerHealth } from './worker-health.js';

export interface Running {
  /** Where the API listens, when this process serves it. */
  url: string | null;
  close(): Promise<void>;
}

/** Seeds FEWSHOT_API_KEYS(_FILE), and says in the log how requests are authenticated. */
async function setUpAuth(config: ServiceConfig, deps: AppDeps, log: Logger): Promise<void> {
  if (!config.auth.enabled) {
    log.warn('authentication is OFF (FEWSHOT_AUTH=off): anyone who reaches this port may do anything, as tenant "default"');
    return;
  }
  const text = config.auth.seedFile
    ? await readFile(config.auth.seedFile, 'utf8').catch((error: Error) => {
        throw new ConfigError(`FEWSHOT_API_KEYS_FILE: ${error.message}`);
      })
    : config.auth.seed;
  if (text !== undefined) {
    let seeds;
    try {
      seeds = parseKeySeeds(text);
    } catch (error) {
      throw new ConfigError(`${config.auth.seedFile ? 'FEWSHOT_API_KEYS_FILE' : 'FEWSHOT_API_KEYS'}: ${(error as Error).message}`);
    }
    const result = await deps.keys.seed(seeds);
    log.info({ seeded: result.seeded, removed: result.removed }, 'API keys seeded');
    if (result.refused.length) log.warn({ names: result.refused }, 'seeded API keys refused: these secrets were revoked');
  }
  const count = await deps.keys.count();
  log.info({ keys: count }, 'authentication is on: API keys are required');
  if (count === 0) log.warn('no API key exists yet: create one with `fewshot keys create --scope admin --name ops`');
}

/**
 * Runs `operation` again every second while it fails for want of Redis (a promise of its end,
 * in the background); stops trying once `stopped()`.
 */
function untilRedisAnswers(operation: () => Promise<void>, stopped: () => boolean): Promise<void> {
  return (async () => {
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 1000).unref());
      if (stopped()) return;
      try {
        return await operation();
      } catch (error) {
        if (!isRedisUnavailable(error)) throw error;
      }
    }
  })();
}

export async function start(config: ServiceConfig, redisUrl: string, log: Logger, run: { api: boolean; worker: boolean }): Promise<Running> {
  const worker = run.worker ? startTrainWorker(config, redisUrl, log.child({ component: 'worker' })) : null;
  if (!run.api) {
    const health: Server | null = worker && config.jobs.healthPort ? await serveWorkerHealth(worker, config.jobs.healthPort, log) : null;
    return {
      url: null,
      close: async () => {
        health?.close();
        await worker?.close();
      },
    };
  }

  const deps = createDeps(config, redisUrl, log);
  let closing = false;
  // Redis down at start: serve anyway (503s, and GET /readyz says why) and set up keys when it answers.
  let pendingAuth: Promise<void> | null = null;
  try {
    await setUpAuth(config, deps, log);
  } catch (error) {
    if (!isRedisUnavailable(error)) throw error;
    log.warn('Redis does not answer: answering 503 until it does (GET /readyz says why)');
    pendingAuth = untilRedisAnswers(() => setUpAuth(config, deps, log), () => closing);
  }
  const app = await buildApp(deps);
  const url = await app.listen({ port: config.port, host: config.host });
  log.info({ storage: deps.storage.location, trustProxy: Boolean(config.trustProxy), cors: config.corsOrigins }, 'API listening');
  pendingAuth?.catch((error: unknown) => log.error({ err: error }, 'setting up API keys failed'));
  const drainAndClose = async () => {
    const { drainTimeoutMs } = config;
    log.info({ drainTimeoutMs }, 'draining: new requests get 503 while those in flight finish');
    const abandoned = await app.lifecycle.drain(drainTimeoutMs);
    const closed = app.close();
    if (abandoned > 0) {
      log.warn({ abandoned, drainTimeoutMs }, 'requests still in flight at the drain deadline: closing their connections');
      app.server.closeAllConnections();
    }
    await closed;
  };
  // Load the backend now, not on the first prediction.
  deps.runner.start().catch((error: unknown) => {
    if (!closing) log.error({ err: error }, 'the prediction backend failed to start');
  });
  return {
    url,
    async close() {
      closing = true;
      // In parallel: the API drains (new requests 503, event streams end, requests in flight
      // finish) while running jobs stop at their next iteration and go back to the queue.
      await Promise.all([drainAndClose(), worker?.close()]);
      await deps.close();
    },
  };
}
