// Runs `fewshot serve --with-worker` as a child process with its own temporary data directory
// and Redis key prefix, and removes both when it stops: the demo's and the benchmarks' service.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, openSync, closeSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { FewshotClient, type Readiness } from 'fewshot/client';
import { REPO_ROOT } from './shared.js';
import { freePort } from '../../src/service/local-redis.js';
import { generateKey } from '../../src/service/registry/keys.js';
import { DEFAULT_REDIS_URL } from '../../src/service/redis.js';

export const BIN = join(REPO_ROOT, 'bin', 'fewshot.js');

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
