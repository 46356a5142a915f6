// Redis restarted mid-job: the test runs its own append-only redis-server, starts a job on an
// app and a worker connected to it, kills Redis and starts it again. While it is down, /readyz is
// a 503 saying why and routes that need Redis answer 503 at once; afterwards everything recovers
// by itself and the job completes with exactly one model. (bench:faults does the same for longer
// outages, with `fewshot serve --with-worker` as a process, and prints the timings.)
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Response } from 'supertest';
import { clusters, resumableJob, startAppWithWorker, testEnv, waitFor, type TestApp, type TestEnv } from './helpers.js';
import { hasRedisServer, redisServer, type RedisServer } from './redis-server.js';

let env: TestEnv;
let redis: RedisServer;
let app: TestApp;

before(async () => {
  if (!hasRedisServer) return;
  redis = await redisServer();
  await redis.start();
  env = await testEnv({ REDIS_URL: redis.url });
  app = await startAppWithWorker(env.config, redis.url);
});
after(async () => {
  if (!hasRedisServer) return;
  await redis.start(); // closing cleanly needs Redis
  await app.close();
  await redis.remove();
  await env.cleanup();
});

/** A request's status and how long it took, failing the test if it hangs. */
async function timed(request: PromiseLike<Response>) {
  const started = performance.now();
  const res = await request;
  return { status: res.status, code: res.body.error?.code as string | undefined, ms: Math.round(performance.now() - started), body: res.body };
}

test('Redis restarted mid-job: 503s while it is down, then the job completes with one model', { skip: !hasRedisServer && 'no redis-server' }, async () => {
  const dataset = await app.api
    .post('/v1/datasets')
    .send({ name: 'clusters', examples: clusters({ classes: 12, perClass: 8, dim: 8, noise: 0.3, seed: 4 }) })
    .expect(201);
  const { body: job } = await app.api.post('/v1/jobs').send(resumableJob(dataset.body.id, 200)).expect(202);
  const getJob = () => app.api.get(`/v1/jobs/${job.id}`).then((r) => r.body);
  await waitFor(getJob, (j) => j.checkpoints?.length >= 1, 60_000, 'a first checkpoint');

  await redis.kill('SIGKILL');
  const ready = await timed(app.api.get('/readyz').timeout(10_000));
  assert.equal(ready.status, 503);
  assert.equal(ready.body.status, 'not_ready');
  assert.equal(ready.body.redis.ok, false);
  assert.match(ready.body.redis.error, new RegExp(`Redis at 127.0.0.1:${redis.port} does not answer`), 'the reason is given');
  // Routes that need Redis fail at once with a retryable code rather than hang.
  const reads = await Promise.all([
    timed(app.api.get(`/v1/jobs/${job.id}`).timeout(10_000)),
    timed(app.api.get('/v1/models').timeout(10_000)),
    timed(app.api.post('/v1/datasets').send({ name: 'x', examples: clusters({ classes: 2, perClass: 2, dim: 2, noise: 0.1, seed: 1 }) }).timeout(10_000)),
  ]);
  for (const read of reads) {
    assert.equal(read.status, 503, JSON.stringify(read.body));
    assert.ok(['redis_unavailable', 'not_ready'].includes(read.code!), read.code);
  }
  const liveness = await timed(app.api.get('/healthz').timeout(10_000));
  assert.equal(liveness.status, 200, 'the process itself is alive');
  console.log(`# Redis down: /readyz 503 in ${ready.ms} ms; routes 503 in ${reads.map((r) => `${r.ms} ms`).join(', ')}`);

  await new Promise((resolve) => setTimeout(resolve, 1500));
  const restartedAt = performance.now();
  await redis.start();
  await waitFor(() => app.api.get('/readyz').then((r) => r.status), (s) => s === 200, 30_000, '/readyz to recover');
  console.log(`# Redis back: /readyz 200 after ${Math.round(performance.now() - restartedAt)} ms`);

  const done = await waitFor(getJob, (j) => ['completed', 'failed', 'cancelled'].includes(j.status), 120_000, 'the job to finish');
  assert.equal(done.status, 'completed', JSON.stringify(done));
  const { body: models } = await app.api.get('/v1/models').expect(200);
  const ofJob = models.models.filter((m: { jobId: string }) => m.jobId === job.id);
  assert.equal(ofJob.length, 1, 'exactly one model');
});
