// Everything the API routes use, built from the configuration. All connections are lazy, so
// building these (to print the OpenAPI document, say) touches neither Redis nor the core.
import type { Redis } from 'ioredis';
import type { ServiceConfig } from './config.js';
import type { Logger } from './logger.js';
import { PredictionRunner } from './prediction/runner.js';
import { PredictionService } from './prediction/service.js';
import { TrainQueue } from './queue/train-queue.js';
import { Quotas } from './quotas.js';
import { createRedis } from './redis.js';
import { AdaptationRegistry } from './registry/adaptations.js';
import { datasetRegistry, type DatasetRegistry } from './registry/datasets.js';
import { KeyRegistry } from './registry/keys.js';
import { modelRegistry, type ModelRegistry } from './registry/models.js';
import { openStorage } from './storage/open.js';
import { RunStorage } from './storage/runs.js';
import type { Storage } from './storage/storage.js';

export interface AppDeps {
  config: ServiceConfig;
  log: Logger;
  redis: Redis;
  storage: Storage;
  /** Training runs' checkpoints in `storage`, fetched and verified once per process. */
  runs: RunStorage;
  keys: KeyRegistry;
  datasets: DatasetRegistry;
  models: ModelRegistry;
  jobs: TrainQueue;
  quotas: Quotas;
  runner: PredictionRunner;
  predictions: PredictionService;
  /** Closes every connection and child process these deps opened. */
  close(): Promise<void>;
}

export function createDeps(config: ServiceConfig, redisUrl: string, log: Logger): AppDeps {
  const redis = createRedis(redisUrl, 'client', 'fewshot-api');
  redis.on('error', (error) => log.warn({ err: error }, 'redis connection error'));
  const storage = openStorage(config);
  const datasets = datasetRegistry(redis, config.prefix);
  const models = modelRegistry(redis, config.prefix);
  const jobs = new TrainQueue(config, redisUrl, redis, log);
  const runner = new PredictionRunner(config, redisUrl, log);
  const runs = new RunStorage(storage);
  const limits = { ttlSeconds: config.adaptationTtlSeconds, support: config.maxSupport, queries: config.maxQueries };
  const predictions = new PredictionService(runner, models, new AdaptationRegistry(redis, config.prefix), runs, limits, log);
  return {
    config,
    log,
    redis,
    storage,
    runs,
    keys: new KeyRegistry(redis, config.prefix),
    datasets,
    models,
    jobs,
    quotas: new Quotas(redis, config.prefix, config.quotas, datasets, models, (tenant) => jobs.activeCount(tenant)),
    runner,
    predictions,
    async close() {
      await Promise.all([jobs.close(), runner.close()]);
      storage.close();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
