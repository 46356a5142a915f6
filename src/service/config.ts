// Service configuration, read once from the environment and validated at start-up so a typo
// fails loudly before anything listens or connects.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';

const int = (fallback: number, min = 0) => z.coerce.number().int().min(min).default(fallback);

const EnvSchema = z.object({
  PORT: int(8080).pipe(z.number().max(65535)),
  HOST: z.string().min(1).default('0.0.0.0'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Unset: use 127.0.0.1:6379, or start a private redis-server (`serve --with-worker`). */
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
  FEWSHOT_DATA_DIR: z
    .string()
    .min(1)
    .default(join(process.env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'fewshot'))
    .transform((dir) => resolve(dir)),
  FEWSHOT_REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ".", "_" and "-" only')
    .default('fewshot'),
  FEWSHOT_BACKEND: z.enum(['auto', 'tensorflow', 'native', 'wasm', 'cpu', 'webgpu']).default('auto'),
  /** XNNPACK threads per process on the wasm backend; unset = the machine's cores. */
  FEWSHOT_WASM_THREADS: z.coerce.number().int().min(1).max(8).optional(),
  /** Largest JSON/NDJSON request body. */
  FEWSHOT_BODY_LIMIT_BYTES: int(64 * 1024 * 1024, 1024),
  /** Largest zip upload (POST /v1/datasets with application/zip). */
  FEWSHOT_UPLOAD_LIMIT_BYTES: int(1024 * 1024 * 1024, 1024),
  FEWSHOT_MAX_SUPPORT: int(1000, 1),
  FEWSHOT_MAX_QUERIES: int(1000, 1),
  /** Adapted weights kept in memory, and how long an adaptation stays usable. */
  FEWSHOT_ADAPTATION_CACHE_SIZE: int(64, 1),
  FEWSHOT_ADAPTATION_TTL_SECONDS: int(3600, 1),
  /** Loaded models kept in memory by the prediction process. */
  FEWSHOT_MODEL_CACHE_SIZE: int(4, 1),
  FEWSHOT_PREDICT_TIMEOUT_MS: int(120_000, 100),
  /** BullMQ lock: a worker that stops renewing it (killed) is noticed after about this long. */
  FEWSHOT_JOB_LOCK_MS: int(30_000, 1000),
  FEWSHOT_STALLED_INTERVAL_MS: int(30_000, 500),
  /** How many times a job may be recovered after its worker died before it is failed. */
  FEWSHOT_MAX_STALLED: int(5, 0),
  FEWSHOT_WORKER_CONCURRENCY: int(1, 1),
  /** Finished jobs kept in Redis: at most this many, for at most this long. */
  FEWSHOT_KEEP_JOBS: int(1000, 1),
  FEWSHOT_KEEP_JOBS_SECONDS: int(30 * 24 * 3600, 60),
});

export type ServiceConfig = ReturnType<typeof toConfig>;

function toConfig(env: z.output<typeof EnvSchema>) {
  return {
    port: env.PORT,
    host: env.HOST,
    logLevel: env.LOG_LEVEL,
    redisUrl: env.REDIS_URL,
    dataDir: env.FEWSHOT_DATA_DIR,
    prefix: env.FEWSHOT_REDIS_PREFIX,
    backend: env.FEWSHOT_BACKEND,
    wasmThreads: env.FEWSHOT_WASM_THREADS,
    bodyLimit: env.FEWSHOT_BODY_LIMIT_BYTES,
    uploadLimit: env.FEWSHOT_UPLOAD_LIMIT_BYTES,
    maxSupport: env.FEWSHOT_MAX_SUPPORT,
    maxQueries: env.FEWSHOT_MAX_QUERIES,
    adaptationCacheSize: env.FEWSHOT_ADAPTATION_CACHE_SIZE,
    adaptationTtlSeconds: env.FEWSHOT_ADAPTATION_TTL_SECONDS,
    modelCacheSize: env.FEWSHOT_MODEL_CACHE_SIZE,
    predictTimeoutMs: env.FEWSHOT_PREDICT_TIMEOUT_MS,
    jobs: {
      lockMs: env.FEWSHOT_JOB_LOCK_MS,
      stalledIntervalMs: env.FEWSHOT_STALLED_INTERVAL_MS,
      maxStalled: env.FEWSHOT_MAX_STALLED,
      concurrency: env.FEWSHOT_WORKER_CONCURRENCY,
      keep: { count: env.FEWSHOT_KEEP_JOBS, age: env.FEWSHOT_KEEP_JOBS_SECONDS },
    },
  };
}

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): ServiceConfig {
  // Empty variables (as compose files often leave them) mean "unset".
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = EnvSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  return toConfig(parsed.data);
}
