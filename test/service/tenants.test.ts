// Tenant isolation for every resource (datasets, jobs, models, adaptations): another tenant's
// ids answer 404 on every route and its records stay out of listings; admins see and act on
// all; a job trains only on its own tenant's data. Then the per-tenant caps, and the CLI's
// `datasets import --tenant`.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { createLogger } from '../../src/service/logger.js';
import { startTrainWorker, type TrainWorker } from '../../src/service/queue/worker.js';
import { clusters, REDIS_URL, startApp, testEnv, waitFor, type Api, type TestApp, type TestEnv } from './helpers.js';
import { BIN } from '../../scripts/lib/service.js';

const tinyJob = (datasetId: string) => ({
  datasetId,
  algorithm: 'protonet',
  model: { hidden: [16] },
  episode: { ways: 2, shots: 1, queries: 2 },
  outer: { iterations: 4, metaBatchSize: 2 },
  validation: { every: 0 },
  evaluation: { episodes: 0 },
});
const support = [
  { label: 'a', vector: [1, 0, 0, 0] },
  { label: 'b', vector: [0, 1, 0, 0] },
];
const queries = [{ vector: [1, 0, 0, 0] }];
const finished = (status: string) => ['completed', 'failed', 'cancelled'].includes(status);

describe('isolation', () => {
  let env: TestEnv;
  let app: TestApp;
  let worker: TrainWorker;
  let a: Api;
  let b: Api;
  let bPredict: Api;
  const ids = { dataset: '', job: '', model: '', adaptation: '' };

  before(async () => {
    env = await testEnv();
    app = await startApp(env.config);
    worker = startTrainWorker(env.config, REDIS_URL, createLogger(env.config.logLevel, 'test-worker'));
    const key = async (name: string, scope: string, tenant?: string) => (await app.api.post('/v1/keys').send({ name, scope, tenant }).expect(201)).body.key;
    a = app.as(await key('team-a', 'train'));
    b = app.as(await key('team-b', 'train'));
    bPredict = app.as(await key('team-b-reader', 'predict', 'team-b'));

    ids.dataset = (await a.post('/v1/datasets').send({ name: 'a-data', examples: clusters({ classes: 4, perClass: 4, dim: 4, noise: 0.1, seed: 1 }) }).expect(201)).body.id;
    ids.job = (await a.post('/v1/jobs').send(tinyJob(ids.dataset)).expect(202)).body.id;
    const job = await waitFor(() => a.get(`/v1/jobs/${ids.job}`).then((r) => r.body), (j) => finished(j.status), 120_000, 'the job');
    assert.equal(job.status, 'completed', JSON.stringify(job));
    ids.model = job.modelId;
    ids.adaptation = (await a.post(`/v1/models/${ids.model}/adaptations`).send({ support }).expect(201)).body.id;
  });
  after(async () => {
    await worker.close();
    await app.close();
    await env.cleanup();
  });

  test('every record names its tenant: the dataset creator’s, inherited by job, model and adaptation', async () => {
    assert.equal((await a.get(`/v1/datasets/${ids.dataset}`).expect(200)).body.tenant, 'team-a');
    assert.equal((await a.get(`/v1/jobs/${ids.job}`).expect(200)).body.tenant, 'team-a');
    assert.equal((await a.get(`/v1/models/${ids.model}`).expect(200)).body.tenant, 'team-a');
    const adaptation = await app.deps.redis.get(`${env.config.prefix}:adaptation:${ids.adaptation}`);
    assert.equal(JSON.parse(adaptation!).tenant, 'team-a');
  });

  test("another tenant's ids answer 404 on every route, like ids that do not exist", async () => {
    for (const [client, allowed] of [
      [b, 'train'],
      [bPredict, 'predict'],
    ] as const) {
      const requests = [
        client.get(`/v1/models/${ids.model}`),
        client.get(`/v1/models/${ids.model}/manifest`),
        client.post(`/v1/models/${ids.model}/predict`).send({ support, queries }),
        client.post(`/v1/models/${ids.model}/adaptations`).send({ support }),
        client.post(`/v1/adaptations/${ids.adaptation}/predict`).send({ queries }),
        client.delete(`/v1/adaptations/${ids.adaptation}`),
        ...(allowed === 'train'
          ? [
              client.get(`/v1/datasets/${ids.dataset}`),
              client.get(`/v1/datasets/${ids.dataset}/samples`),
              client.delete(`/v1/datasets/${ids.dataset}`),
              client.post('/v1/jobs').send(tinyJob(ids.dataset)),
              client.get(`/v1/jobs/${ids.job}`),
              client.get(`/v1/jobs/${ids.job}/events`),
              client.get(`/v1/jobs/${ids.job}/metrics`),
              client.post(`/v1/jobs/${ids.job}/cancel`),
              client.delete(`/v1/models/${ids.model}`),
            ]
          : []),
      ];
      for (const [i, res] of (await Promise.all(requests)).entries()) {
        assert.equal(res.status, 404, `request ${i} (${allowed}): ${res.status} ${res.text}`);
        assert.equal(res.body.error.code, 'not_found');
        assert.match(res.body.error.message, / not found$/);
      }
    }
    // Nothing changed for the owner.
    await a.get(`/v1/datasets/${ids.dataset}`).expect(200);
    await a.post(`/v1/adaptations/${ids.adaptation}/predict`).send({ queries }).expect(200);
  });

  test('listings hold only the caller’s tenant’s records; an admin’s hold everyone’s', async () => {
    const listed = async (client: Api) => ({
      datasets: (await client.get('/v1/datasets').expect(200)).body.datasets.map((d: { id: string }) => d.id),
      jobs: (await client.get('/v1/jobs').expect(200)).body.jobs.map((j: { id: string }) => j.id),
      models: (await client.get('/v1/models').expect(200)).body.models.map((m: { id: string }) => m.id),
    });
    const own = await b.post('/v1/datasets').send({ name: 'b-data', examples: clusters({ classes: 3, perClass: 3, dim: 4, noise: 0.1, seed: 2 }) }).expect(201);
    assert.deepEqual(await listed(b), { datasets: [own.body.id], jobs: [], models: [] });
    assert.deepEqual(await listed(a), { datasets: [ids.dataset], jobs: [ids.job], models: [ids.model] });
    const all = await listed(app.api);
    assert.ok(all.datasets.includes(ids.dataset) && all.datasets.includes(own.body.id));
    assert.deepEqual(all.models, [ids.model]);
    assert.deepEqual((await bPredict.get('/v1/models').expect(200)).body.models, []);
  });

  test('admins use any tenant’s records; a job an admin starts belongs to its dataset’s tenant', async () => {
    await app.api.get(`/v1/models/${ids.model}`).expect(200);
    await app.api.post(`/v1/adaptations/${ids.adaptation}/predict`).send({ queries }).expect(200);
    const started = await app.api.post('/v1/jobs').send(tinyJob(ids.dataset)).expect(202);
    const job = await a.get(`/v1/jobs/${started.body.id}`).expect(200);
    assert.equal(job.body.tenant, 'team-a');
    await b.get(`/v1/jobs/${started.body.id}`).expect(404);
    await waitFor(() => a.get(`/v1/jobs/${started.body.id}`).then((r) => r.body), (j) => finished(j.status), 120_000, 'the admin’s job');
  });

  test('Idempotency-Keys are per tenant: the same key names different jobs', async () => {
    const own = (await b.get('/v1/datasets').expect(200)).body.datasets[0].id;
    const first = await a.post('/v1/jobs').set('idempotency-key', 'shared-key').send(tinyJob(ids.dataset)).expect(202);
    const second = await b.post('/v1/jobs').set('idempotency-key', 'shared-key').send(tinyJob(own)).expect(202);
    assert.notEqual(first.body.id, second.body.id);
    for (const [client, id] of [
      [a, first.body.id],
      [b, second.body.id],
    ] as const) {
      await waitFor(() => client.get(`/v1/jobs/${id}`).then((r) => r.body), (j) => finished(j.status), 120_000, 'the job');
    }
  });

  test('a job whose dataset is another tenant’s never trains (checked again in the worker)', async () => {
    // Forge what the API refuses: a job record claiming team-b for team-a's dataset.
    const forged = await app.deps.jobs.enqueue({ datasetId: ids.dataset, tenant: 'team-b', config: (await app.deps.models.get(ids.model))!.config });
    const job = await waitFor(() => app.api.get(`/v1/jobs/${forged.id}`).then((r) => r.body), (j) => finished(j.status), 60_000, 'the forged job');
    assert.equal(job.status, 'failed');
    assert.match(job.error, /belongs to another tenant/);
  });
});

describe('per-tenant caps', () => {
  let env: TestEnv;
  let app: TestApp;

  before(async () => {
    env = await testEnv({ FEWSHOT_TENANT_MAX_ACTIVE_JOBS: '1', FEWSHOT_TENANT_MAX_STORED_BYTES: '6000' });
    app = await startApp(env.config);
  });
  after(async () => {
    await app.close();
    await env.cleanup();
  });

  test('stored bytes: an upload over the cap is refused (409) and leaves nothing behind', async () => {
    const c = app.as((await app.api.post('/v1/keys').send({ name: 'capped', scope: 'train' }).expect(201)).body.key);
    const small = await c.post('/v1/datasets').send({ name: 'small', examples: clusters({ classes: 3, perClass: 4, dim: 8, noise: 0.1, seed: 1 }) }).expect(201);
    assert.ok(small.body.bytes < 6000);
    const big = await c.post('/v1/datasets').send({ name: 'big', examples: clusters({ classes: 4, perClass: 40, dim: 8, noise: 0.1, seed: 1 }) }).expect(409);
    assert.equal(big.body.error.code, 'quota_exceeded');
    assert.equal(big.body.error.details.quota, 'storedBytes');
    assert.equal(big.body.error.details.limit, 6000);
    assert.deepEqual((await c.get('/v1/datasets').expect(200)).body.datasets.map((d: { id: string }) => d.id), [small.body.id]);
    const files = await app.deps.storage.list('datasets');
    assert.deepEqual(files.map((f) => f.key), [`datasets/${small.body.id}/data.fsd`], 'no file of the refused upload');
  });

  test('active jobs: at most one queued or running per tenant, atomically; a retry is not a new job; other tenants unaffected', async () => {
    const key = async (name: string) => app.as((await app.api.post('/v1/keys').send({ name, scope: 'train' }).expect(201)).body.key);
    const [d, e] = [await key('jobs-d'), await key('jobs-e')];
    const dataset = async (client: Api) =>
      (await client.post('/v1/datasets').send({ name: 'x', examples: clusters({ classes: 3, perClass: 3, dim: 2, noise: 0.1, seed: 3 }) }).expect(201)).body.id;
    const [dData, eData] = [await dataset(d), await dataset(e)];
    // No worker runs here: jobs stay queued. Three at once, from one tenant: exactly one is admitted.
    const keys = ['k1', 'k2', 'k3'];
    const answers = await Promise.all(keys.map((k) => d.post('/v1/jobs').set('idempotency-key', k).send(tinyJob(dData))));
    assert.deepEqual(answers.map((r) => r.status).sort(), [202, 409, 409]);
    const refused = answers.find((r) => r.status === 409)!;
    assert.equal(refused.body.error.code, 'quota_exceeded');
    assert.deepEqual([refused.body.error.details.quota, refused.body.error.details.used], ['activeJobs', 1]);
    const admittedAt = answers.findIndex((r) => r.status === 202);
    const admitted = answers[admittedAt];
    const retry = await d.post('/v1/jobs').set('idempotency-key', keys[admittedAt]).send(tinyJob(dData)).expect(202);
    assert.equal(retry.body.id, admitted.body.id);
    await e.post('/v1/jobs').send(tinyJob(eData)).expect(202);
    // A cancelled job no longer counts.
    await d.post(`/v1/jobs/${admitted.body.id}/cancel`).expect(202);
    await d.post('/v1/jobs').send(tinyJob(dData)).expect(202);
  });
});

test('fewshot datasets import --tenant: the dataset belongs to that tenant', { timeout: 60_000 }, async () => {
  const env = await testEnv();
  const app = await startApp(env.config);
  try {
    const dir = join(env.config.dataDir, 'images');
    for (const [cls, shade] of [['light', 220], ['dark', 30]] as const) {
      await mkdir(join(dir, cls), { recursive: true });
      for (let i = 0; i < 2; i++) {
        const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: shade + i, g: shade, b: shade } } }).png().toBuffer();
        await writeFile(join(dir, cls, `${i}.png`), png);
      }
    }
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, 'datasets', 'import', 'folder', dir, '--name', 'shades', '--tenant', 'team-z'], {
        env: { ...process.env, ...env.env },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let stdout = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.on('exit', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`import exited ${code}`))));
    });
    const imported = JSON.parse(out) as { id: string; tenant: string };
    assert.equal(imported.tenant, 'team-z');
    const z = app.as((await app.api.post('/v1/keys').send({ name: 'team-z', scope: 'train' }).expect(201)).body.key);
    const other = app.as((await app.api.post('/v1/keys').send({ name: 'team-y', scope: 'train' }).expect(201)).body.key);
    assert.equal((await z.get(`/v1/datasets/${imported.id}`).expect(200)).body.name, 'shades');
    await other.get(`/v1/datasets/${imported.id}`).expect(404);
  } finally {
    await app.close();
    await env.cleanup();
  }
});
