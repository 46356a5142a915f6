// Shared set-up for the service tests: a private Redis key prefix and data directory per
// test file, an app on a real port, and clean-up of both.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import supertest from 'supertest';
import { buildApp } from '../../src/service/app.js';
import { loadConfig, type ServiceConfig } from '../../src/service/config.js';
import { createDeps, type AppDeps } from '../../src/service/deps.js';
import { createLogger } from '../../src/service/logger.js';
import { startTrainWorker, type TrainWorker } from '../../src/service/queue/worker.js';
import type { Redis } from 'ioredis';
import { createRedis, DEFAULT_REDIS_URL } from '../../src/service/redis.js';
import { Random } from '../../src/core/random.js';

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

export interface TestApp {
  deps: AppDeps;
  api: ReturnType<typeof supertest>;
  close(): Promise<void>;
}

export async function startApp(config: ServiceConfig): Promise<TestApp> {
  const deps = createDeps(config, REDIS_URL, createLogger(config.logLevel, 'test-api'));
  const app = await buildApp(deps);
  await app.ready();
  return {
    deps,
    api: supertest(app.server),
    async close() {
      await app.close();
      await deps.close();
    },
  };
}

export interface TrainingStack {
  env: TestEnv;
  app: TestApp;
  worker: TrainWorker;
  close(): Promise<void>;
}

/** A test environment, an app and a real training worker; `close` stops them in reverse and cleans up. */
export async function startTrainingStack(): Promise<TrainingStack> {
  const env = await testEnv();
  const app = await startApp(env.config);
  const worker = startTrainWorker(env.config, REDIS_URL, createLogger(env.config.logLevel, 'test-worker'));
  return {
    env,
    app,
    worker,
    async close() {
      await worker.close();
      await app.close();
      await env.cleanup();
    },
  };
}

/** Polls `read` until `done` holds for its value, or fails after `timeoutMs`. */
export async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}


/** Examples of `classes` Gaussian clusters in `dim` dimensions: easy to tell apart after meta-training. */
export function clusters(opts: { classes: number; perClass: number; dim: number; noise: number; seed: number }) {
  const rng = new Random(opts.seed);
  const normal = () => rng.normal();
  const centres = Array.from({ length: opts.classes }, () => Array.from({ length: opts.dim }, normal));
  return centres.flatMap((centre, c) =>
    Array.from({ length: opts.perClass }, () => ({ label: `class-${c}`, vector: centre.map((x) => x + opts.noise * normal()) })),
  );
}

/** Uploads `clusters(opts)` as a JSON dataset named 'clusters'; returns its id. */
export async function uploadClusters(api: ReturnType<typeof supertest>, opts: Parameters<typeof clusters>[0]): Promise<string> {
  const res = await api.post('/v1/datasets').send({ name: 'clusters', examples: clusters(opts) }).expect(201);
  return res.body.id as string;
}
