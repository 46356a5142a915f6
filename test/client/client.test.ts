// The public client, imported by the specifier a user of the installed package writes
// ('fewshot/client', package.json "exports"), against the real app on a port.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ApiError, FewshotClient, type DatasetSummary, type Example } from 'fewshot/client';
import { clusters, startApp, testEnv, type TestApp, type TestEnv } from '../service/helpers.js';

let env: TestEnv;
let app: TestApp;
let client: FewshotClient;

before(async () => {
  env = await testEnv();
  app = await startApp(env.config);
  await app.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.app.server.address() as { port: number };
  client = new FewshotClient(`http://127.0.0.1:${port}`, app.adminKey);
});

after(async () => {
  await app?.close();
  await env?.cleanup();
});

const examples: Example[] = clusters({ classes: 3, perClass: 4, dim: 5, noise: 0.1, seed: 1 });

test('health and readiness answer in the shapes the schemas declare', async () => {
  assert.deepEqual(await client.healthz(), { status: 'ok' });
  const ready = await client.readyz();
  assert.ok([200, 503].includes(ready.status));
  assert.equal(typeof ready.body.redis.ok, 'boolean');
  assert.ok(ready.body.backend.name.length > 0);
});

test('a JSON dataset and an NDJSON one are created, read and deleted', async () => {
  const created: DatasetSummary = await client.createDataset('client-json', examples);
  assert.equal(created.numClasses, 3);
  assert.equal(created.numExamples, 12);
  assert.deepEqual(created.modalities, ['vector']);
  const read = await client.getDataset(created.id);
  assert.deepEqual(
    read.classes.map((c) => c.examples),
    [4, 4, 4],
  );
  assert.deepEqual(read.spec, { vector: { dim: 5 } });

  const ndjson = await client.uploadNdjson('client-ndjson', examples);
  assert.equal(ndjson.name, 'client-ndjson');
  assert.equal(ndjson.numExamples, 12);

  assert.equal(await client.deleteDataset(created.id), undefined);
  assert.equal(await client.deleteDataset(ndjson.id), undefined);
  await assert.rejects(client.getDataset(created.id), (error: unknown) => error instanceof ApiError && error.status === 404 && error.code === 'not_found');
});

test('a refused request is an ApiError carrying the service error code and details', async () => {
  const dataset = await client.createDataset('client-job', examples);
  await assert.rejects(
    client.createJob({ datasetId: dataset.id, algorithm: 'maml', episode: { ways: 1 } }),
    (error: unknown) => {
      assert.ok(error instanceof ApiError);
      assert.equal(error.status, 400);
      assert.equal(error.code, 'validation_failed');
      assert.match(error.message, /^POST \/v1\/jobs → 400 validation_failed: /);
      assert.notEqual(error.details, undefined);
      return true;
    },
  );
  const anonymous = new FewshotClient(client.baseUrl);
  assert.deepEqual(anonymous.authHeaders(), {});
  await assert.rejects(anonymous.getDataset(dataset.id), (error: unknown) => error instanceof ApiError && error.status === 401 && error.code === 'unauthorized');
  await client.deleteDataset(dataset.id);
});

test('a queued job is read and cancelled through the client', async () => {
  // No worker runs here: the job stays queued until it is cancelled.
  const dataset = await client.createDataset('client-cancel', examples);
  const accepted = await client.createJob({ datasetId: dataset.id, algorithm: 'protonet', episode: { ways: 2, shots: 1, queries: 1 } }, 'client-test-key');
  assert.equal(accepted.status, 'queued');
  const again = await client.createJob({ datasetId: dataset.id, algorithm: 'protonet', episode: { ways: 2, shots: 1, queries: 1 } }, 'client-test-key');
  assert.equal(again.id, accepted.id, 'the same Idempotency-Key answers with the first job');
  const job = await client.getJob(accepted.id);
  assert.equal(job.datasetId, dataset.id);
  assert.equal(job.algorithm, 'protonet');
  const cancelled = await client.cancelJob(accepted.id);
  assert.equal(cancelled.status, 'cancelled');
  const events: string[] = [];
  const final = await client.followJob(accepted.id, (event) => events.push(event.kind));
  assert.equal(final.status, 'cancelled');
  assert.deepEqual(events.at(-1), 'done');
});
