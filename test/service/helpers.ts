// Shared set-up for the service tests: a private Redis key prefix and data directory per
// test file, an app on a real port, and clean-up of both.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import type { FastifyInstance } from 'fastify';
import supertest from 'supertest';
import { buildApp } from '../../src/service/app.js';
import { loadConfig, type ServiceConfig } from '../../src/service/config.js';
import { createDeps, type AppDeps } from '../../src/service/deps.js';
import { createLogger, type Logger } from '../../src/service/logger.js';
import type { Redis } from 'ioredis';
import { startTrainWorker } from '../../src/service/queue/worker.js';
import { createRedis, DEFAULT_REDIS_URL } from '../../src/service/redis.js';
import { gaussianClusters, rowValues, type GaussianClusterOptions } from '../../src/core/data/synthetic.js';

export const REDIS_URL = process.env.REDIS_URL ?? DEFAULT_REDIS_URL;

async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  for await (const batch of redis.scanStream({ match: `${prefix}:*`, count: 500 }) as AsyncIterable<string[]>) {
    if (batch.length) await redis.unlink(...batch);
  }
}

export interface TestEnv {
  env: Record<string, string>;
  config: ServiceConfig;
  cleanup(): Promise<void>;
}

/** Environment for this test file: its own prefix and data dir; short lock times so a dead worker is noticed quickly. */
export async function testEnv(overrides: Record<string, string> = {}): Promise<TestEnv> {
  const dataDir = await mkdtemp(join(tmpdir(), 'fewshot-test-'));
  const env = {
    REDIS_URL,
    FEWSHOT_REDIS_PREFIX: `fewshot-test-${randomBytes(6).toString('hex')}`,
    FEWSHOT_DATA_DIR: dataDir,
    FEWSHOT_BACKEND: 'cpu',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    FEWSHOT_JOB_LOCK_MS: '3000',
    FEWSHOT_STALLED_INTERVAL_MS: '1000',
    // Tests poll fast; the rate-limit tests set budgets of their own.
    FEWSHOT_RATE_LIMIT_PREDICT: '0',
    FEWSHOT_RATE_LIMIT_TRAIN: '0',
    FEWSHOT_RATE_LIMIT_READ: '0',
    // Nor do they shed load when a busy test machine delays their event loop; load-shedding.test.ts sets its own limits.
    FEWSHOT_SHED_EVENT_LOOP_DELAY_MS: '0',
    ...overrides,
  };
  const config = loadConfig(env);
  return {
    env,
    config,
    async cleanup() {
      const redis = createRedis(REDIS_URL, 'client', 'fewshot-test-cleanup');
      await deleteKeys(redis, config.prefix);
      await redis.quit();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export type Api = ReturnType<typeof supertest.agent>;

export interface TestApp {
  deps: AppDeps;
  app: FastifyInstance;
  /** Sends an admin key with every request (auth is on, as by default). */
  api: Api;
  /** The admin key `api` sends. */
  adminKey: string;
  /** A client that sends `key` with every request; none without. */
  as(key?: string): Api;
  close(): Promise<void>;
}

/** `redisUrl`: another Redis than the shared one; `log`: where the app logs (by default at the configured level, silent in tests). */
export async function startApp(
  config: ServiceConfig,
  { redisUrl = REDIS_URL, log = createLogger(config.logLevel, 'test-api') }: { redisUrl?: string; log?: Logger } = {},
): Promise<TestApp> {
  const deps = createDeps(config, redisUrl, log);
  const app = await buildApp(deps);
  await app.ready();
  const as = (key?: string) => (key ? supertest.agent(app.server).set('authorization', `Bearer ${key}`) : supertest.agent(app.server));
  const { key: adminKey } = await deps.keys.create({ name: 'test-admin', scope: 'admin' });
  return {
    deps,
    app,
    api: as(adminKey),
    adminKey,
    as,
    async close() {
      await app.close();
      await deps.close();
    },
  };
}

/** The app and an in-process training worker (its jobs train in forked children); close() stops both. */
export async function startAppWithWorker(config: ServiceConfig, redisUrl = REDIS_URL): Promise<TestApp> {
  const app = await startApp(config, { redisUrl });
  const worker = startTrainWorker(config, redisUrl, createLogger(config.logLevel, 'test-worker'));
  return {
    ...app,
    async close() {
      await worker.close();
      await app.close();
    },
  };
}

/** Polls `read` every `intervalMs` until `done` holds for its value, or fails after `timeoutMs`. */
export async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number, what: string, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** The processes `pid` forked whose command line mentions `script` (Linux: read from /proc). */
export function childrenRunning(pid: number, script: string): number[] {
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  return children.filter((child) => {
    try {
      return readFileSync(`/proc/${child}/cmdline`, 'utf8').includes(script);
    } catch {
      return false;
    }
  });
}


/** The core's Gaussian clusters (labels class-0, class-1, ...) as vector examples: easy to tell apart after meta-training. */
export function clusters(opts: GaussianClusterOptions) {
  const data = gaussianClusters(opts);
  return rowValues(data, 'vector').map((vector, row) => ({ label: data.classNames[data.labels[row]], vector: Array.from(vector) }));
}

/** Uploads `clusters(opts)` as a JSON dataset named 'clusters'; returns its id. */
export async function uploadClusters(api: Api, opts: Parameters<typeof clusters>[0]): Promise<string> {
  const res = await api.post('/v1/datasets').send({ name: 'clusters', examples: clusters(opts) }).expect(201);
  return res.body.id as string;
}

/** A small MAML job that checkpoints every 20 iterations: long enough to kill a worker in the middle of it. */
export const resumableJob = (datasetId: string, iterations: number) => ({
  datasetId,
  algorithm: 'maml',
  model: { hidden: [32] },
  episode: { ways: 3, shots: 2, queries: 3 },
  outer: { iterations, metaBatchSize: 4 },
  validation: { every: 50, episodes: 5 },
  checkpointEvery: 20,
  evaluation: { episodes: 10, baselines: false },
});

/** A job's log lines (job.log), as BullMQ keeps them in Redis. */
export async function jobLogs(config: ServiceConfig, id: string): Promise<string[]> {
  const redis = createRedis(REDIS_URL, 'client', 'fewshot-test-logs');
  try {
    return await redis.lrange(`${config.prefix}:train:${id}:logs`, 0, -1);
  } finally {
    await redis.quit();
  }
}

/**
 * This test file's own environment and an app with a training worker, made before its tests and
 * closed after them; read `.env` and `.app` inside the tests.
 */
export function useAppWithWorker(overrides: Record<string, string> = {}): { env: TestEnv; app: TestApp } {
  const service = {} as { env: TestEnv; app: TestApp };
  before(async () => {
    service.env = await testEnv(overrides);
    service.app = await startAppWithWorker(service.env.config);
  });
  after(async () => {
    await service.app?.close();
    await service.env?.cleanup();
  });
  return service;
}
