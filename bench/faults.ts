// npm run bench:faults [-- --down 10] [-- --iterations 600]
//
// The slow fault cases, against real processes, each printing what it did and what it saw:
//   redis-restart   `fewshot serve --with-worker` on a private append-only redis-server; a MAML
//                   job trains (the tests' resumable job); Redis is killed (SIGKILL) after its first checkpoint and started
//                   again --down seconds later (default 10: shorter than the default 30 s job lock,
//                   so the running attempt keeps its job). While it is down, /readyz and three
//                   routes that need Redis are polled: time to the first 503, and how long each
//                   503 took. Afterwards: time from Redis answering to /readyz 200 and to a job
//                   read succeeding, when the job completed, and how many models it made.
//   prediction-kill the prediction process of that service is stopped (SIGSTOP), a predict
//                   request sent, the process killed (SIGKILL): the request's status, code and
//                   Retry-After, the time to a new process, and the next request's status.
//   redis-late      `fewshot serve` and `fewshot worker` started with Redis down: time until they
//                   answer (503, not ready), then from Redis starting to /readyz 200 with the
//                   worker registered.
// Holds no lock itself: run it as `flock <lock-file> npm run bench:faults` where several
// people share a machine.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort } from '../src/service/local-redis.js';
import { generateKey } from '../src/service/registry/keys.js';
import { BIN, startService, type RunningService } from '../scripts/lib/service.js';
import { clusterVectors } from '../scripts/lib/synthetic.js';
import { childrenRunning, resumableJob, waitFor } from '../test/service/helpers.js';
import { redisServer, type RedisServer } from '../test/service/redis-server.js';

const { values: args } = parseArgs({
  options: {
    down: { type: 'string', default: '10' },
    iterations: { type: 'string', default: '600' },
  },
});
const downSeconds = Number(args.down);
const iterations = Number(args.iterations);

/** How often a state is polled: the resolution of the timings printed. */
const POLL_MS = 50;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ms = (since: number) => Math.round(performance.now() - since);
const say = (scenario: string, line: string) => console.log(`[${scenario}] ${line}`);

/** One request: its status, error code, Retry-After and how long it took; status 0 when nothing answered. */
async function hit(url: string, init: RequestInit & { key?: string } = {}) {
  const started = performance.now();
  const headers: Record<string, string> = { ...(init.key ? { authorization: `Bearer ${init.key}` } : {}), ...(init.body ? { 'content-type': 'application/json' } : {}) };
  try {
    const res = await fetch(url, { ...init, headers, signal: AbortSignal.timeout(30_000) });
    const body = (await res.json().catch(() => null)) as { error?: { code: string } } | null;
    return { status: res.status, code: body?.error?.code, retryAfter: res.headers.get('retry-after'), ms: ms(started), body };
  } catch {
    return { status: 0, code: undefined, retryAfter: null, ms: ms(started), body: null };
  }
}

const summary = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return `n=${sorted.length} median ${sorted[Math.floor(sorted.length / 2)]} ms, max ${sorted.at(-1)} ms`;
};

async function redisRestart(service: RunningService, redis: RedisServer): Promise<string> {
  const S = 'redis-restart';
  const { client, url } = service;
  const key = client.apiKey!;
  const dataset = await client.createDataset('clusters', clusterVectors({ classes: 16, perClass: 10, dim: 16, noise: 0.3, seed: 3 }));
  // The tests' resumable MAML job (checkpoints every 20 iterations), at --iterations.
  const job = await client.createJob({ ...resumableJob(dataset.id, iterations), algorithm: 'maml' });
  const running = await waitFor(() => client.getJob(job.id), (j) => j.checkpoints.length >= 1, 300_000, 'a first checkpoint', POLL_MS);
  say(S, `job ${job.id}: ${iterations} iterations; at iteration ${running.progress?.iteration} (checkpoints ${running.checkpoints.join(', ')})`);

  const killedAt = performance.now();
  await redis.kill('SIGKILL');
  say(S, `Redis killed (SIGKILL) at +0 ms`);
  const routes = {
    'GET /v1/jobs/:id': () => hit(`${url}/v1/jobs/${job.id}`, { key }),
    'GET /v1/models': () => hit(`${url}/v1/models`, { key }),
    'POST /v1/datasets': () => hit(`${url}/v1/datasets`, { key, method: 'POST', body: JSON.stringify({ name: 'x', examples: clusterVectors({ classes: 2, perClass: 2, dim: 2, noise: 0.1, seed: 1 }) }) }),
  };
  const first503 = await waitFor(() => hit(`${url}/readyz`), (r) => r.status === 503, 30_000, '/readyz 503', POLL_MS);
  say(S, `/readyz 503 at +${ms(killedAt)} ms (that request took ${first503.ms} ms): ${JSON.stringify((first503.body as { redis?: unknown } | null)?.redis)}`);
  const seen: Record<string, { ms: number[]; statuses: Set<string> }> = {};
  const readyMs: number[] = [];
  while (performance.now() - killedAt < downSeconds * 1000) {
    readyMs.push((await hit(`${url}/readyz`)).ms);
    for (const [route, call] of Object.entries(routes)) {
      const r = await call();
      seen[route] ??= { ms: [], statuses: new Set() };
      seen[route].ms.push(r.ms);
      seen[route].statuses.add(`${r.status} ${r.code ?? ''} retry-after=${r.retryAfter}`.trim());
    }
    await sleep(200);
  }
  say(S, `while down (${downSeconds} s): /readyz ${summary(readyMs)}`);
  for (const [route, s] of Object.entries(seen)) say(S, `while down: ${route} → ${[...s.statuses].join(' | ')}; ${summary(s.ms)}`);

  await redis.start();
  const back = performance.now();
  say(S, `Redis answering again ${ms(killedAt)} ms after the kill`);
  await waitFor(() => hit(`${url}/readyz`), (r) => r.status === 200, 120_000, '/readyz 200', POLL_MS);
  const readyAfter = ms(back);
  await waitFor(() => routes['GET /v1/jobs/:id'](), (r) => r.status === 200, 120_000, 'a job read', POLL_MS);
  say(S, `recovered: /readyz 200 ${readyAfter} ms and GET /v1/jobs/:id 200 ${ms(back)} ms after Redis answered`);
  const done = await waitFor(() => client.getJob(job.id), (j) => !['queued', 'running'].includes(j.status), 900_000, 'the job to end', POLL_MS);
  const models = (await client.request<{ models: { id: string; jobId: string }[] }>('GET', '/v1/models')).models.filter((m) => m.jobId === job.id);
  say(S, `job ${done.status} ${ms(back)} ms after Redis answered (attempts ${done.attempts}${done.error ? `, error: ${done.error}` : ''}); models of the job: ${models.length}`);
  if (done.status !== 'completed' || models.length !== 1) throw new Error(`${S}: expected one completed model`);
  return done.modelId!;
}

async function predictionKill(service: RunningService, modelId: string): Promise<void> {
  const S = 'prediction-kill';
  // The model is 3-way (the tests' resumable job).
  const unseen = clusterVectors({ classes: 3, perClass: 3, dim: 16, noise: 0.3, seed: 9 });
  const body = JSON.stringify({ support: unseen.filter((_, i) => i % 3 < 2), queries: unseen.filter((_, i) => i % 3 === 2).map(({ vector }) => ({ vector })) });
  const predict = () => hit(`${service.url}/v1/models/${modelId}/predict`, { key: service.client.apiKey, method: 'POST', body });
  const warm = await predict();
  say(S, `warm-up predict: ${warm.status} in ${warm.ms} ms`);
  const [victim] = childrenRunning(service.pid, 'prediction/child');
  process.kill(victim, 'SIGSTOP');
  const pending = predict();
  await sleep(300);
  const killedAt = performance.now();
  process.kill(victim, 'SIGKILL');
  const answer = await pending;
  say(S, `prediction process ${victim} stopped, request sent, then SIGKILL: ${answer.status} ${answer.code} retry-after=${answer.retryAfter}, ${ms(killedAt)} ms after the kill`);
  const [replacement] = await waitFor(async () => childrenRunning(service.pid, 'prediction/child'), (p) => p.length === 1 && p[0] !== victim, 120_000, 'a new prediction process', POLL_MS);
  const ready = await waitFor(() => hit(`${service.url}/readyz`), (r) => r.status === 200, 120_000, '/readyz 200', POLL_MS);
  say(S, `new prediction process ${replacement}; /readyz 200 ${ms(killedAt)} ms after the kill (${ready.ms} ms request)`);
  const next = await predict();
  say(S, `next predict: ${next.status} in ${next.ms} ms`);
  if (answer.status !== 503 || next.status !== 200) throw new Error(`${S}: expected 503 then 200`);
}

async function redisLate(): Promise<void> {
  const S = 'redis-late';
  const redis = await redisServer();
  const [apiPort, healthPort] = [await freePort(), await freePort()];
  const key = generateKey();
  const env = { ...process.env, REDIS_URL: redis.url, FEWSHOT_REDIS_PREFIX: 'fewshot-bench-faults', LOG_LEVEL: 'warn', FEWSHOT_API_KEYS: `ops:admin:${key}` };
  const spawned: ChildProcess[] = [];
  const dataDir = await mkdtemp(join(tmpdir(), 'fewshot-bench-faults-'));
  const started = performance.now();
  const run = (args: string[], extra: Record<string, string>) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...env, ...extra }, stdio: 'ignore' });
    spawned.push(child);
  };
  try {
    run(['serve'], { PORT: String(apiPort), HOST: '127.0.0.1', FEWSHOT_DATA_DIR: dataDir });
    run(['worker'], { FEWSHOT_WORKER_HEALTH_PORT: String(healthPort), FEWSHOT_DATA_DIR: dataDir });
    const api = `http://127.0.0.1:${apiPort}`;
    const first = await waitFor(() => hit(`${api}/readyz`), (r) => r.status !== 0, 120_000, 'serve to listen', POLL_MS);
    const worker = await waitFor(() => hit(`http://127.0.0.1:${healthPort}/healthz`), (r) => r.status !== 0, 120_000, 'the worker health check', POLL_MS);
    say(S, `with Redis down: serve answers /readyz ${first.status} at +${ms(started)} ms; worker /healthz ${worker.status} ${JSON.stringify(worker.body)}`);
    const jobs = await hit(`${api}/v1/jobs`, { key });
    say(S, `with Redis down: GET /v1/jobs → ${jobs.status} ${jobs.code} in ${jobs.ms} ms`);
    await redis.start();
    const up = performance.now();
    await waitFor(() => hit(`${api}/readyz`), (r) => r.status === 200 && (r.body as unknown as { workers: { count: number } }).workers.count === 1, 120_000, 'ready with a worker', POLL_MS);
    const readyMs = ms(up);
    await waitFor(() => hit(`${api}/v1/jobs`, { key }), (r) => r.status === 200, 30_000, 'the seeded key', POLL_MS);
    say(S, `Redis started: /readyz 200 with the worker registered after ${readyMs} ms; the seeded key works after ${ms(up)} ms`);
  } finally {
    for (const child of spawned) {
      if (child.exitCode === null) {
        child.kill('SIGKILL');
        await once(child, 'exit');
      }
    }
    await redis.remove();
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  console.log(`bench:faults on ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}; Redis down ${downSeconds} s; job ${iterations} iterations`);
  const redis = await redisServer();
  await redis.start();
  const service = await startService({ prefix: 'fewshot-bench-faults', env: { REDIS_URL: redis.url, LOG_LEVEL: 'warn' } });
  try {
    const modelId = await redisRestart(service, redis);
    await predictionKill(service, modelId);
  } finally {
    await service.stop({ graceMs: 10_000 });
    await redis.remove();
  }
  await redisLate();
  console.log(`done; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}

await main();
