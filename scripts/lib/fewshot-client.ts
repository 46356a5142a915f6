// A small typed HTTP client for the Fewshot API (the routes the demo and the serving benchmark
// use), and a helper that runs `fewshot serve --with-worker` as a child process with its own
// temporary data directory and Redis key prefix, and removes both when it stops.
// Node 20's global fetch only; the shapes mirror src/service/schemas/*.ts.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, openSync, closeSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { REPO_ROOT } from './shared.js';
import { freePort } from '../../src/service/local-redis.js';
import { generateKey } from '../../src/service/registry/keys.js';
import type {
  Adaptation,
  Algorithm,
  Dataset,
  DatasetSummary,
  Example,
  Job,
  JobStatus,
  Model,
  Prediction,
  PredictResponse,
  Query,
  Readiness,
  TextFeatures,
} from '../../src/service/http-types.js';

// ---------------------------------------------------------------------------------------------
// The HTTP contract: responses as the service serialises them (shared with the dashboard), and
// the requests this client builds

export type {
  Accuracy,
  Adaptation,
  Algorithm,
  Backend,
  Dataset,
  DatasetSummary,
  EvaluationReport as Evaluation,
  Example,
  Job,
  JobStatus,
  Modality,
  Model,
  Prediction,
  PredictResponse,
  Progress,
  Query,
  Readiness,
  TextFeatures,
} from '../../src/service/http-types.js';

export interface CreateJob {
  datasetId: string;
  algorithm: Algorithm;
  model?: { filters?: number; hidden?: number[]; fusionDim?: number };
  text?: Partial<TextFeatures>;
  episode?: { ways?: number; shots?: number; queries?: number };
  inner?: { steps?: number; lr?: number };
  outer?: { lr?: number; metaBatchSize?: number; iterations?: number };
  validation?: { every?: number; episodes?: number };
  checkpointEvery?: number;
  seed?: number;
  evaluation?: { episodes?: number; baselines?: boolean };
  split?: { train: number; validation: number; test: number };
  rotations?: boolean;
}

export interface PredictRequest {
  support: Example[];
  queries: Query[];
  steps?: number;
}

/** A non-2xx answer, in the service's one error shape. */
export class ApiError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(`${method} ${path} → ${status} ${code}: ${message}${details === undefined ? '' : ` ${JSON.stringify(details)}`}`);
    this.name = 'ApiError';
  }
}

export type JobEvent = { kind: 'progress' | 'done'; job: Job };

interface RequestOptions {
  json?: unknown;
  body?: Uint8Array | string;
  contentType?: string;
  query?: Record<string, string | number | undefined>;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export class FewshotClient {
  /** `apiKey`: sent as `Authorization: Bearer` with every request (none with auth off). */
  constructor(
    readonly baseUrl: string,
    readonly apiKey?: string,
  ) {}

  /** The headers that authenticate a request (for other HTTP clients, e.g. a load generator). */
  authHeaders(): Record<string, string> {
    return this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {};
  }

  url(path: string, query?: RequestOptions['query']): string {
    const url = new URL(path, this.baseUrl);
    for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
    return url.toString();
  }

  private async send(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { ...this.authHeaders(), ...options.headers };
    let body: string | Uint8Array | undefined = options.body;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers['content-type'] = 'application/json';
    }
    if (options.contentType) headers['content-type'] = options.contentType;
    return fetch(this.url(path, options.query), { method, headers, body: body as RequestInit['body'], signal: options.signal });
  }

  /** The parsed JSON body of a 2xx answer (undefined for 204); an ApiError otherwise. */
  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const res = await this.send(method, path, options);
    const text = await res.text();
    if (!res.ok) {
      let error: { code?: string; message?: string; details?: unknown } = {};
      try {
        error = (JSON.parse(text) as { error?: typeof error }).error ?? {};
      } catch {
        error = { message: text.slice(0, 200) };
      }
      throw new ApiError(method, path, res.status, error.code ?? 'unknown', error.message ?? res.statusText, error.details);
    }
    return (text ? JSON.parse(text) : undefined) as T;
  }

  // -- health
  healthz(): Promise<{ status: 'ok' }> {
    return this.request('GET', '/healthz');
  }

  /** 200 or 503 (not ready yet): both carry a Readiness body. */
  async readyz(signal?: AbortSignal): Promise<{ status: number; body: Readiness }> {
    const res = await this.send('GET', '/readyz', { signal });
    return { status: res.status, body: (await res.json()) as Readiness };
  }

  /** GET /metrics (Prometheus text): the samples without labels, by name. */
  async metrics(): Promise<Map<string, number>> {
    const res = await this.send('GET', '/metrics');
    if (!res.ok) throw new ApiError('GET', '/metrics', res.status, 'unknown', res.statusText);
    const samples = new Map<string, number>();
    for (const line of (await res.text()).split('\n')) {
      const match = /^([a-zA-Z_:][\w:]*) ([-+\w.]+)$/.exec(line);
      if (match) samples.set(match[1], Number(match[2]));
    }
    return samples;
  }

  // -- datasets
  createDataset(name: string, examples: Example[]): Promise<DatasetSummary> {
    return this.request('POST', '/v1/datasets', { json: { name, examples } });
  }

  uploadNdjson(name: string, examples: Example[]): Promise<DatasetSummary> {
    const body = examples.map((e) => JSON.stringify(e)).join('\n') + '\n';
    return this.request('POST', '/v1/datasets', { body, contentType: 'application/x-ndjson', query: { name } });
  }

  /** A zip of class folders of images: <class>/<image>.png (any depth above <class>). */
  uploadZip(zip: Uint8Array, query: { name: string; imageSize?: number; channels?: 1 | 3 }): Promise<DatasetSummary> {
    return this.request('POST', '/v1/datasets', { body: zip, contentType: 'application/zip', query });
  }

  getDataset(id: string): Promise<Dataset> {
    return this.request('GET', `/v1/datasets/${id}`);
  }

  deleteDataset(id: string): Promise<void> {
    return this.request('DELETE', `/v1/datasets/${id}`);
  }

  // -- jobs
  /** With an Idempotency-Key, a retried POST returns the job the first one created. */
  createJob(job: CreateJob, idempotencyKey?: string): Promise<{ id: string; status: JobStatus }> {
    return this.request('POST', '/v1/jobs', { json: job, headers: idempotencyKey ? { 'idempotency-key': idempotencyKey } : {} });
  }

  getJob(id: string): Promise<Job> {
    return this.request('GET', `/v1/jobs/${id}`);
  }

  cancelJob(id: string): Promise<Job> {
    return this.request('POST', `/v1/jobs/${id}/cancel`);
  }

  /**
   * Follows GET /v1/jobs/:id/events (Server-Sent Events) until its `done` event, calling
   * `onEvent` for each; resolves with the final job. If the stream ends early (the server
   * went away), the job is read once more and returned as it stands.
   */
  async followJob(id: string, onEvent: (event: JobEvent) => void, signal?: AbortSignal): Promise<Job> {
    const res = await this.send('GET', `/v1/jobs/${id}/events`, { signal });
    if (!res.ok || !res.body) {
      const text = await res.text();
      throw new ApiError('GET', `/v1/jobs/${id}/events`, res.status, 'unknown', text.slice(0, 200));
    }
    const decoder = new TextDecoder();
    let buffer = '';
    let last: Job | null = null;
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let kind = 'message';
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) continue; // keep-alive comment
          if (line.startsWith('event:')) kind = line.slice(6).trim();
          else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
        }
        if (data.length === 0 || (kind !== 'progress' && kind !== 'done')) continue;
        last = JSON.parse(data.join('\n')) as Job;
        onEvent({ kind, job: last });
        if (kind === 'done') return last;
      }
    }
    return last && ['completed', 'failed', 'cancelled'].includes(last.status) ? last : this.getJob(id);
  }

  // -- models, prediction, adaptations
  getModel(id: string): Promise<Model> {
    return this.request('GET', `/v1/models/${id}`);
  }

  deleteModel(id: string): Promise<void> {
    return this.request('DELETE', `/v1/models/${id}`);
  }

  predict(modelId: string, body: PredictRequest): Promise<PredictResponse> {
    return this.request('POST', `/v1/models/${modelId}/predict`, { json: body });
  }

  createAdaptation(modelId: string, body: { support: Example[]; steps?: number }): Promise<Adaptation> {
    return this.request('POST', `/v1/models/${modelId}/adaptations`, { json: body });
  }

  predictAdapted(adaptationId: string, queries: Query[]): Promise<{ predictions: Prediction[] }> {
    return this.request('POST', `/v1/adaptations/${adaptationId}/predict`, { json: { queries } });
  }

  deleteAdaptation(id: string): Promise<void> {
    return this.request('DELETE', `/v1/adaptations/${id}`);
  }

  /** POSTs a JSON body and times it: status, milliseconds seen here, the server's Server-Timing entries. */
  async timedPost(path: string, body: string): Promise<{ status: number; ms: number; serverTiming: Record<string, number> }> {
    const started = performance.now();
    const res = await this.send('POST', path, { body, contentType: 'application/json' });
    await res.arrayBuffer();
    const ms = performance.now() - started;
    const serverTiming: Record<string, number> = {};
    // "name;dur=1.23, other;dur=4.5"
    for (const entry of (res.headers.get('server-timing') ?? '').split(',')) {
      const match = /^\s*([\w-]+);dur=([\d.]+)/.exec(entry);
      if (match) serverTiming[match[1]] = Number(match[2]);
    }
    return { status: res.status, ms, serverTiming };
  }
}

// ---------------------------------------------------------------------------------------------
// Running the service

export const BIN = join(REPO_ROOT, 'bin', 'fewshot.js');
const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export interface ServiceOptions {
  /** Redis key prefix stem; a random suffix is added (default 'fewshot-demo'). */
  prefix?: string;
  /** LOG_LEVEL of the service (default 'info'); its log goes to a file, not the terminal. */
  logLevel?: string;
  /** Extra environment for the service. */
  env?: Record<string, string>;
  /** How long to wait for GET /readyz to answer 200 (default 120 s). */
  readyTimeoutMs?: number;
  /**
   * With auth on (the default) the service is seeded with a fresh admin key, which `client`
   * sends; `false` runs it with FEWSHOT_AUTH=off (it listens on loopback only either way).
   */
  auth?: boolean;
}

export interface RunningService {
  url: string;
  client: FewshotClient;
  pid: number;
  prefix: string;
  dataDir: string;
  logFile: string;
  readiness: Readiness;
  /** Milliseconds from spawn to a 200 from /readyz. */
  startMs: number;
  /** Whether the service started its own redis-server (no Redis answered at 127.0.0.1:6379). */
  privateRedis(): boolean;
  /** Last `lines` lines of the service's log. */
  logTail(lines?: number): Promise<string>;
  /**
   * SIGTERM, wait for a graceful exit (SIGKILL after `graceMs`), then remove the data directory
   * and this run's Redis keys. With `keepLog` the log file stays (its path is `logFile`).
   */
  stop(opts?: { keepLog?: boolean; graceMs?: number }): Promise<{ exitCode: number | null; signal: string | null; ms: number }>;
}


const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Deletes every key under `prefix:` on the Redis at `url`; silently nothing if it cannot connect. */
async function deleteRedisKeys(url: string, prefix: string): Promise<number> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 2000, retryStrategy: () => null });
  redis.on('error', () => {});
  let deleted = 0;
  try {
    await redis.connect();
    for await (const batch of redis.scanStream({ match: `${prefix}:*`, count: 500 }) as AsyncIterable<string[]>) {
      if (batch.length) deleted += await redis.unlink(...batch);
    }
  } catch {
    // Nothing to clean where nothing answers.
  } finally {
    redis.disconnect();
  }
  return deleted;
}

/** Starts `fewshot serve --with-worker` (node bin/fewshot.js) and resolves once /readyz answers 200. */
export async function startService(options: ServiceOptions = {}): Promise<RunningService> {
  const prefix = `${options.prefix ?? 'fewshot-demo'}-${randomBytes(4).toString('hex')}`;
  const dataDir = await mkdtemp(join(tmpdir(), `${prefix}-data-`));
  const logFile = join(tmpdir(), `${prefix}.log`);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const logFd = openSync(logFile, 'a');
  const apiKey = options.auth === false ? undefined : generateKey();
  const started = performance.now();
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, [BIN, 'serve', '--with-worker'], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        FEWSHOT_DATA_DIR: dataDir,
        FEWSHOT_REDIS_PREFIX: prefix,
        LOG_LEVEL: options.logLevel ?? 'info',
        ...(apiKey ? { FEWSHOT_AUTH: 'on', FEWSHOT_API_KEYS: `${prefix}:admin:${apiKey}` } : { FEWSHOT_AUTH: 'off' }),
        ...options.env,
      },
      // Straight to the file: the service's log never passes through this process's event loop.
      stdio: ['ignore', logFd, logFd],
    });
  } finally {
    closeSync(logFd);
  }
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let exit: { code: number | null; signal: string | null } | null = null;
  void exited.then((e) => (exit = e));

  const redisUrl = options.env?.REDIS_URL ?? process.env.REDIS_URL ?? DEFAULT_REDIS_URL;
  const privateRedis = () => existsSync(join(dataDir, 'redis', 'port'));
  const logTail = async (lines = 30) => {
    const text = await readFile(logFile, 'utf8').catch(() => '');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  };
  let stopped = false;
  const stop: RunningService['stop'] = async (opts = {}) => {
    const t = performance.now();
    if (!stopped) {
      stopped = true;
      if (exit === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), opts.graceMs ?? 30_000);
        await exited;
        clearTimeout(timer);
      }
      // A private redis-server (under dataDir) went away with the service; a shared one keeps our keys.
      if (!privateRedis()) await deleteRedisKeys(redisUrl, prefix);
      await rm(dataDir, { recursive: true, force: true });
      if (!opts.keepLog) await rm(logFile, { force: true });
    }
    const final = await exited;
    return { exitCode: final.code, signal: final.signal, ms: performance.now() - t };
  };

  const client = new FewshotClient(url, apiKey);
  const deadline = Date.now() + (options.readyTimeoutMs ?? 120_000);
  let last = 'no answer yet';
  let redisDownSince: number | null = null;
  for (;;) {
    if (exit !== null) {
      const { code, signal } = exit;
      const tail = await logTail(20);
      await stop({ keepLog: true });
      throw new Error(`the service exited (code ${code}, signal ${signal}) before it was ready; log ${logFile}:\n${tail}`);
    }
    const ready = await client.readyz(AbortSignal.timeout(5000)).catch((error: Error) => {
      last = error.message;
      return null;
    });
    if (ready?.status === 200) {
      return {
        url,
        client,
        pid: child.pid!,
        prefix,
        dataDir,
        logFile,
        readiness: ready.body,
        startMs: performance.now() - started,
        privateRedis,
        logTail,
        stop,
      };
    }
    if (ready) {
      last = JSON.stringify(ready.body);
      // Redis unreachable is not going to fix itself while we wait.
      redisDownSince = ready.body.redis.ok ? null : (redisDownSince ?? Date.now());
      if (redisDownSince !== null && Date.now() - redisDownSince > 10_000) {
        const tail = await logTail(10);
        await stop({ keepLog: true, graceMs: 5000 });
        throw new Error(`the service cannot reach Redis at ${redisUrl}: ${ready.body.redis.error ?? 'no answer'}; log ${logFile}:\n${tail}`);
      }
    }
    if (Date.now() > deadline) {
      await stop({ keepLog: true });
      throw new Error(`the service was not ready within ${options.readyTimeoutMs ?? 120_000} ms (last: ${last}); log ${logFile}`);
    }
    await sleep(250);
  }
}
