// Service configuration, read once from the environment and validated at start-up so a typo
// fails loudly before anything listens or connects.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { BACKEND_PREFERENCES } from './core.js';

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
  FEWSHOT_BACKEND: z.enum(BACKEND_PREFERENCES).default('auto'),
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
  /** Load shedding (503 + Retry-After): above this event-loop delay (mean over half a second), every route but the health checks; 0 = off. */
  FEWSHOT_SHED_EVENT_LOOP_DELAY_MS: int(50),
  /** ... and the prediction routes while this many predictions wait for the prediction process; 0 = off. */
  FEWSHOT_SHED_PREDICT_QUEUE: int(64),
  FEWSHOT_SHED_RETRY_AFTER_SECONDS: int(2, 1),
  /** On SIGTERM: how long requests in flight may take to finish (new ones get 503) before the server closes anyway. */
  FEWSHOT_DRAIN_TIMEOUT_MS: int(25_000),
  /** BullMQ lock: a worker that stops renewing it (killed) is noticed after about this long. */
  FEWSHOT_JOB_LOCK_MS: int(30_000, 1000),
  FEWSHOT_STALLED_INTERVAL_MS: int(30_000, 500),
  /** How many times a job may be recovered after its worker died before it is failed. */
  FEWSHOT_MAX_STALLED: int(5, 0),
  FEWSHOT_WORKER_CONCURRENCY: int(1, 1),
  /** Niceness of the training processes: beside an API (serve --with-worker) predictions come first. */
  FEWSHOT_TRAIN_NICENESS: int(10).pipe(z.number().max(19)),
  /** Finished jobs kept in Redis: at most this many, for at most this long. */
  FEWSHOT_KEEP_JOBS: int(1000, 1),
  FEWSHOT_KEEP_JOBS_SECONDS: int(30 * 24 * 3600, 60),
  /** API keys are required unless this is `off` (said in the start-up log). */
  FEWSHOT_AUTH: z.enum(['on', 'off']).default('on'),
  /** Keys to create at start-up, `name:scope[:tenant]:key` separated by commas or new lines (or from a file). */
  FEWSHOT_API_KEYS: z.string().optional(),
  FEWSHOT_API_KEYS_FILE: z.string().min(1).optional(),
  /** Requests per key (per address with auth off) and per window, by budget; 0 = unlimited. */
  FEWSHOT_RATE_LIMIT_PREDICT: int(600),
  FEWSHOT_RATE_LIMIT_TRAIN: int(60),
  FEWSHOT_RATE_LIMIT_READ: int(1200),
  FEWSHOT_RATE_LIMIT_WINDOW_SECONDS: int(60, 1),
  /** Per-tenant caps; 0 = unlimited. */
  FEWSHOT_TENANT_MAX_ACTIVE_JOBS: int(0),
  FEWSHOT_TENANT_MAX_STORED_BYTES: int(0),
  /** Which proxies' X-Forwarded-For to believe: off (default), true (any), a hop count, or addresses/CIDRs. */
  FEWSHOT_TRUST_PROXY: z.string().default('false').transform(parseTrustProxy),
  /** Origins allowed to call the API from a browser (comma-separated); unset = no CORS headers at all. */
  FEWSHOT_CORS_ORIGINS: z
    .string()
    .optional()
    .transform((list) => (list ?? '').split(',').map((o) => o.trim()).filter(Boolean)),
  /** Where datasets and checkpoints live: FEWSHOT_DATA_DIR (default), or s3://bucket/prefix. */
  FEWSHOT_STORAGE: z
    .string()
    .regex(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/, 's3://bucket[/prefix]')
    .optional(),
  /** An S3-compatible server (MinIO, ...), addressed path-style; unset = AWS. */
  FEWSHOT_S3_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  /** Attempts at uploading a checkpoint before the job fails (with growing pauses between them). */
  FEWSHOT_CHECKPOINT_UPLOAD_ATTEMPTS: int(8, 1),
  /** `fewshot worker` answers GET /healthz on this port (for container health checks); 0 = no server. */
  FEWSHOT_WORKER_HEALTH_PORT: int(0).pipe(z.number().max(65535)),
});

/** Fastify's trustProxy: false, true, the nearest N proxies, or a list of addresses/CIDRs. */
function parseTrustProxy(value: string): boolean | string | ((address: string, hop: number) => boolean) {
  const v = value.trim().toLowerCase();
  if (v === '' || v === 'false' || v === 'off' || v === '0') return false;
  if (v === 'true' || v === 'on') return true;
  if (/^\d+$/.test(v)) {
    const hops = Number(v);
    return (_address, hop) => hop < hops;
  }
  return value.trim();
}

function storageOf(url: string | undefined, endpoint: string | undefined) {
  if (!url) return { kind: 'local' as const };
  const [bucket, ...rest] = url.slice('s3://'.length).split('/');
  const prefix = rest.join('/').replace(/^\/+|\/+$/g, '');
  return { kind: 's3' as const, url, bucket, prefix, endpoint };
}

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
    shedding: {
      eventLoopDelayMs: env.FEWSHOT_SHED_EVENT_LOOP_DELAY_MS,
      predictQueue: env.FEWSHOT_SHED_PREDICT_QUEUE,
      retryAfterSeconds: env.FEWSHOT_SHED_RETRY_AFTER_SECONDS,
    },
    drainTimeoutMs: env.FEWSHOT_DRAIN_TIMEOUT_MS,
    jobs: {
      lockMs: env.FEWSHOT_JOB_LOCK_MS,
      stalledIntervalMs: env.FEWSHOT_STALLED_INTERVAL_MS,
      maxStalled: env.FEWSHOT_MAX_STALLED,
      concurrency: env.FEWSHOT_WORKER_CONCURRENCY,
      niceness: env.FEWSHOT_TRAIN_NICENESS,
      keep: { count: env.FEWSHOT_KEEP_JOBS, age: env.FEWSHOT_KEEP_JOBS_SECONDS },
      checkpointUploadAttempts: env.FEWSHOT_CHECKPOINT_UPLOAD_ATTEMPTS,
      healthPort: env.FEWSHOT_WORKER_HEALTH_PORT,
    },
    auth: {
      enabled: env.FEWSHOT_AUTH === 'on',
      seed: env.FEWSHOT_API_KEYS,
      seedFile: env.FEWSHOT_API_KEYS_FILE,
    },
    rateLimit: {
      windowMs: env.FEWSHOT_RATE_LIMIT_WINDOW_SECONDS * 1000,
      budgets: { predict: env.FEWSHOT_RATE_LIMIT_PREDICT, train: env.FEWSHOT_RATE_LIMIT_TRAIN, read: env.FEWSHOT_RATE_LIMIT_READ },
    },
    quotas: { activeJobs: env.FEWSHOT_TENANT_MAX_ACTIVE_JOBS, storedBytes: env.FEWSHOT_TENANT_MAX_STORED_BYTES },
    trustProxy: env.FEWSHOT_TRUST_PROXY,
    corsOrigins: env.FEWSHOT_CORS_ORIGINS,
    storage: storageOf(env.FEWSHOT_STORAGE, env.FEWSHOT_S3_ENDPOINT),
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
