// Faults in the processes around a request or a job, with real processes:
// - Redis down at start: `fewshot serve` and `fewshot worker` start anyway, say they are not
//   ready, and connect (API keys seeded, worker registered) once Redis appears.
// - The prediction process killed (SIGKILL) during a request: that request gets a 503 with a
//   retryable code, a new process is started, and the next request succeeds.
// - A model whose checkpoint is corrupt in storage is served from its run's previous one.
// - A job whose worker keeps dying beyond the stalled limit ends `failed` saying so.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { truncate } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { freePort } from '../../src/service/local-redis.js';
import { generateKey } from '../../src/service/registry/keys.js';
import { childrenRunning, clusters, resumableJob, startApp, startAppWithWorker, testEnv, uploadClusters, waitFor, type TestApp, type TestEnv } from './helpers.js';
import { hasRedisServer, redisServer } from './redis-server.js';
import { BIN } from '../../scripts/lib/service.js';

const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

function spawnFewshot(env: TestEnv, args: string[], extra: Record<string, string> = {}): ChildProcess {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env.env, ...extra }, stdio: ['ignore', 'ignore', 'inherit'] });
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  });
  return child;
}

/** GET `url`: its status and JSON body, or status 0 while nothing listens there. */
async function get(url: string, key?: string): Promise<{ status: number; body: any }> {
  try {
    const res = await fetch(url, { headers: key ? { authorization: `Bearer ${key}` } : {}, signal: AbortSignal.timeout(10_000) });
    return { status: res.status, body: await res.json().catch(() => null) };
  } catch {
    return { status: 0, body: null };
  }
}

test('Redis down at start: serve and worker report not-ready, then connect when it appears', { skip: !hasRedisServer && 'no redis-server' }, async () => {
  const redis = await redisServer();
  cleanups.push(() => redis.remove());
  const env = await testEnv({ REDIS_URL: redis.url });
  cleanups.push(() => env.cleanup());
  const [apiPort, healthPort] = [await freePort(), await freePort()];
  const key = generateKey();
  spawnFewshot(env, ['serve'], { PORT: String(apiPort), HOST: '127.0.0.1', FEWSHOT_API_KEYS: `ops:admin:${key}` });
  spawnFewshot(env, ['worker'], { FEWSHOT_WORKER_HEALTH_PORT: String(healthPort) });
  const api = `http://127.0.0.1:${apiPort}`;
  const health = `http://127.0.0.1:${healthPort}/healthz`;

  const notReady = await waitFor(() => get(`${api}/readyz`), (r) => r.status !== 0, 60_000, 'serve to listen without Redis');
  assert.equal(notReady.status, 503);
  assert.match(notReady.body.redis.error, /does not answer/);
  const jobs = await get(`${api}/v1/jobs`, key);
  assert.equal(jobs.status, 503, JSON.stringify(jobs.body));
  const workerDown = await waitFor(() => get(health), (r) => r.status !== 0, 60_000, 'the worker health check to listen');
  assert.equal(workerDown.status, 503);
  assert.match(workerDown.body.reason, /Redis/);

  await redis.start();
  const ready = await waitFor(() => get(`${api}/readyz`), (r) => r.status === 200 && r.body.workers.count === 1, 60_000, 'readiness with one worker');
  assert.equal(ready.body.redis.ok, true);
  assert.equal((await waitFor(() => get(health), (r) => r.status === 200, 30_000, 'the worker to be healthy')).status, 200);
  // The key seeded from FEWSHOT_API_KEYS was stored once Redis answered.
  assert.equal((await waitFor(() => get(`${api}/v1/jobs`, key), (r) => r.status !== 503, 10_000, 'keys to be seeded')).status, 200);
});

describe('serving a trained model', () => {
  let env: TestEnv;
  let app: TestApp;
  let model: { id: string; checkpoint: string; checkpoints: { iteration: number; key: string }[] };
  const unseen = clusters({ classes: 3, perClass: 3, dim: 8, noise: 0.3, seed: 6 });
  const body = { support: unseen.filter((_, i) => i % 3 < 2), queries: unseen.filter((_, i) => i % 3 === 2).map(({ vector }) => ({ vector })) };

  before(async () => {
    env = await testEnv();
    cleanups.push(() => env.cleanup());
    app = await startAppWithWorker(env.config);
    cleanups.push(() => app.close());
    const datasetId = await uploadClusters(app.api, { classes: 8, perClass: 6, dim: 8, noise: 0.3, seed: 5 });
    // No validation within 30 iterations: best is latest, and the run keeps the one before it.
    const job = (await app.api.post('/v1/jobs').send({ ...resumableJob(datasetId, 30), checkpointEvery: 10, evaluation: { episodes: 2, baselines: false } }).expect(202)).body;
    const done = await waitFor(() => app.api.get(`/v1/jobs/${job.id}`).then((r) => r.body), (j) => j.modelId || j.status === 'failed', 120_000, 'a model');
    model = (await app.deps.models.get(done.modelId))!;
  });

  test('the prediction process killed mid-request: 503 not_ready with Retry-After, restarted, next request succeeds', async () => {
    const predict = () => app.api.post(`/v1/models/${model.id}/predict`).send(body);
    await app.deps.runner.start();
    const [victim] = childrenRunning(process.pid, 'prediction/child');
    assert.ok(victim, 'the prediction process runs');

    // Stopped first, so the request is certainly in its hands when it dies.
    process.kill(victim, 'SIGSTOP');
    const answered = predict().then((r) => r);
    await new Promise((resolve) => setTimeout(resolve, 500));
    process.kill(victim, 'SIGKILL');
    const res = await answered;
    assert.equal(res.status, 503, JSON.stringify(res.body));
    assert.equal(res.body.error.code, 'not_ready');
    assert.equal(res.headers['retry-after'], '1');

    const [replacement] = await waitFor(async () => childrenRunning(process.pid, 'prediction/child'), (pids) => pids.length === 1, 60_000, 'a new prediction process');
    assert.notEqual(replacement, victim);
    const next = await predict();
    assert.equal(next.status, 200, JSON.stringify(next.body));
    assert.equal(next.body.predictions.length, body.queries.length);
  });

  test("the model's checkpoint corrupted in storage: served from the previous good checkpoint", async () => {
    assert.deepEqual(model.checkpoints.map((c) => c.iteration), [20, 30]);
    assert.equal(model.checkpoint, model.checkpoints[1].key);
    await truncate(await app.deps.storage.localPath(`${model.checkpoint}/weights.bin`), 100);
    // Another API process: nothing verified or loaded yet.
    const other = await startApp(env.config);
    cleanups.push(() => other.close());
    const res = await other.api.post(`/v1/models/${model.id}/predict`).send(body);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.predictions.length, body.queries.length);
  });
});

test('a job whose worker keeps dying ends failed beyond the stalled limit, not running forever', async () => {
  const env = await testEnv({ FEWSHOT_MAX_STALLED: '1' });
  cleanups.push(() => env.cleanup());
  const app = await startApp(env.config);
  cleanups.push(() => app.close());
  const datasetId = await uploadClusters(app.api, { classes: 8, perClass: 6, dim: 8, noise: 0.3, seed: 7 });
  const job = (await app.api.post('/v1/jobs').send(resumableJob(datasetId, 5000)).expect(202)).body;
  const getJob = () => app.api.get(`/v1/jobs/${job.id}`).then((r) => r.body);
  // Killed twice: a stalled job is recovered once (the limit is 1), the second time it fails.
  for (const attempt of [1, 2]) {
    const worker = spawnFewshot(env, ['worker']);
    await waitFor(getJob, (j) => j.status === 'running' && j.attempts === attempt && j.progress !== null, 120_000, `attempt ${attempt} to train`);
    worker.kill('SIGKILL');
    await once(worker, 'exit');
  }
  spawnFewshot(env, ['worker']);
  const ended = await waitFor(getJob, (j) => !['queued', 'running'].includes(j.status), 120_000, 'the job to end');
  assert.equal(ended.status, 'failed', JSON.stringify(ended));
  assert.match(ended.error, /stalled/);
  assert.ok(ended.attempts >= 2, `attempts: ${ended.attempts}`);
});
