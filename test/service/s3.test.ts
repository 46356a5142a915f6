// Object storage against a real S3-compatible server (s3rver, started here): the Storage
// round trip, checkpoints published blobs-then-manifest and only used when whole, the API and
// a worker on S3, the store going down (503 with a clear code, /readyz says why, no
// half-registered dataset), and a checkpoint upload retried through an outage.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CoreError } from '../../src/service/core.js';
import { loadConfig } from '../../src/service/config.js';
import { createLogger } from '../../src/service/logger.js';
import { startTrainWorker, type TrainWorker } from '../../src/service/queue/worker.js';
import { filesBelow } from '../../src/service/storage/local.js';
import { RunStorage } from '../../src/service/storage/runs.js';
import { S3Storage } from '../../src/service/storage/s3.js';
import { startS3, type TestS3 } from './s3-server.js';
import { clusters, jobLogs, REDIS_URL, startApp, testEnv, waitFor, type TestApp, type TestEnv } from './helpers.js';

let s3: TestS3;
before(async () => {
  s3 = await startS3();
});
after(async () => {
  await s3.cleanup();
});

const cacheDir = () => mkdtemp(join(tmpdir(), 'fewshot-cache-'));
const storageAt = async (prefix: string) => new S3Storage({ bucket: s3.bucket, prefix, endpoint: s3.endpoint }, await cacheDir());

describe('S3Storage', () => {
  test('publish, fetch into another cache, list, exists, remove', async () => {
    const [writer, reader] = [await storageAt('unit'), await storageAt('unit')];
    try {
      const bytes = Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 251));
      await writeFile(await writer.localPath('a/b/blob.bin'), bytes);
      await writeFile(await writer.localPath('a/c.txt'), 'hello');
      await writer.publish('a/b/blob.bin');
      await writer.publish('a/c.txt');
      assert.equal(writer.location, `s3://${s3.bucket}/unit`);
      assert.deepEqual((await reader.list('a')).sort((x, y) => x.key.localeCompare(y.key)), [
        { key: 'a/b/blob.bin', bytes: 3000 },
        { key: 'a/c.txt', bytes: 5 },
      ]);
      assert.equal(await reader.fetch('a/b/blob.bin'), true);
      assert.deepEqual(await readFile(await reader.localPath('a/b/blob.bin')), bytes);
      assert.equal(await reader.fetch('a/missing'), false);
      assert.equal(await reader.exists('a'), true, 'a "directory" with something below it');
      assert.equal(await reader.exists('a/c.txt'), true);
      await reader.remove('a');
      assert.deepEqual(await writer.list('a'), []);
      assert.equal(await reader.exists('a/c.txt'), false);
      await assert.rejects(readFile(await reader.localPath('a/b/blob.bin')), 'the local copy went too');
      await reader.check();
    } finally {
      writer.close();
      reader.close();
    }
  });

  test('keys cannot leave the prefix', async () => {
    const storage = await storageAt('unit');
    for (const key of ['../x', '/abs', 'a//b', 'a/./b']) await assert.rejects(storage.localPath(key), /invalid storage key/);
    storage.close();
  });
});

describe('checkpoints in the bucket', () => {
  /** Writes a checkpoint directory the way the core does: blobs and a manifest with their checksums. */
  async function writeCheckpoint(dir: string, values: number[]) {
    const { createHash } = await import('node:crypto');
    const weights = Buffer.from(new Float32Array(values).buffer);
    const manifest = {
      format: 'fewshot-checkpoint/1',
      files: { 'weights.bin': { bytes: weights.length, sha256: createHash('sha256').update(weights).digest('hex') } },
    };
    const { mkdir } = await import('node:fs/promises');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'weights.bin'), weights);
    await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest));
  }

  test('push publishes new checkpoints and pointers, prunes removed ones; pull rebuilds the run elsewhere', async () => {
    const [a, b] = [await storageAt('runs-unit'), await storageAt('runs-unit')];
    const [runsA, runsB] = [new RunStorage(a), new RunStorage(b)];
    try {
      const dirA = await runsA.pull('job_1');
      await writeCheckpoint(join(dirA, 'ckpt-0000001'), [1, 2, 3]);
      await writeFile(join(dirA, 'latest.json'), JSON.stringify({ checkpoint: 'ckpt-0000001', iteration: 1 }));
      await runsA.push('job_1');
      await writeCheckpoint(join(dirA, 'ckpt-0000002'), [4, 5, 6]);
      await rm(join(dirA, 'ckpt-0000001'), { recursive: true });
      await writeFile(join(dirA, 'latest.json'), JSON.stringify({ checkpoint: 'ckpt-0000002', iteration: 2 }));
      await runsA.push('job_1');
      assert.deepEqual((await a.list('runs/job_1')).map((o) => o.key).sort(), [
        'runs/job_1/ckpt-0000002/manifest.json',
        'runs/job_1/ckpt-0000002/weights.bin',
        'runs/job_1/latest.json',
      ]);
      const dirB = await runsB.pull('job_1');
      assert.deepEqual((await filesBelow(dirB)).map((f) => f.path).sort(), ['ckpt-0000002/manifest.json', 'ckpt-0000002/weights.bin', 'latest.json']);
      assert.equal(await runsB.checkpoint('runs/job_1/ckpt-0000002'), join(dirB, 'ckpt-0000002'));
    } finally {
      a.close();
      b.close();
    }
  });

  test('a checkpoint whose manifest never arrived is invisible; one whose blobs disagree with it is refused and not pulled', async () => {
    const writer = await storageAt('runs-torn');
    const reader = new RunStorage(await storageAt('runs-torn'));
    try {
      const dir = await writer.localPath('runs/job_2/x');
      await writeCheckpoint(join(dir, '..', 'ckpt-0000001'), [1, 2]);
      await writer.publish('runs/job_2/ckpt-0000001/weights.bin'); // the upload died before the manifest
      await writeCheckpoint(join(dir, '..', 'ckpt-0000002'), [3, 4]);
      await writer.publish('runs/job_2/ckpt-0000002/manifest.json');
      await writeFile(await writer.localPath('runs/job_2/ckpt-0000002/weights.bin'), Buffer.from(new Float32Array([9, 9]).buffer));
      await writer.publish('runs/job_2/ckpt-0000002/weights.bin');
      await assert.rejects(reader.checkpoint('runs/job_2/ckpt-0000001'), (e: unknown) => e instanceof CoreError && /is not stored/.test(e.message));
      await assert.rejects(reader.checkpoint('runs/job_2/ckpt-0000002'), (e: unknown) => e instanceof CoreError && /weights.bin fails its sha256 checksum/.test(e.message));
      // A resumed run is handed neither: it falls back to an older checkpoint, or starts afresh.
      const pulled = await reader.pull('job_2');
      assert.deepEqual((await filesBelow(pulled)).map((f) => f.path), []);
    } finally {
      writer.close();
    }
  });
});

describe('the service on S3', () => {
  let env: TestEnv;
  let app: TestApp;
  let worker: TrainWorker;
  let modelId: string;

  before(async () => {
    env = await testEnv({ ...s3.env('service'), FEWSHOT_CHECKPOINT_UPLOAD_ATTEMPTS: '12' });
    app = await startApp(env.config);
    worker = startTrainWorker(env.config, REDIS_URL, createLogger(env.config.logLevel, 'test-worker'));
  });
  after(async () => {
    await s3.start(); // if a test left it stopped
    await worker.close();
    await app.close();
    await env.cleanup();
  });

  const getJob = (id: string) => app.api.get(`/v1/jobs/${id}`).then((r) => r.body);
  const logs = (id: string) => jobLogs(env.config, id);
  const job = (datasetId: string, iterations: number) => ({
    datasetId,
    algorithm: 'protonet',
    model: { hidden: [16] },
    episode: { ways: 3, shots: 1, queries: 2 },
    outer: { iterations, metaBatchSize: 2 },
    validation: { every: 0 },
    checkpointEvery: 5,
    evaluation: { episodes: 5, baselines: false },
  });
  const finished = (status: string) => ['completed', 'failed', 'cancelled'].includes(status);

  test('readyz names the bucket; a dataset, checkpoints and the model live in it; another replica with an empty cache predicts', { timeout: 120_000 }, async () => {
    const ready = await waitFor(() => app.api.get('/readyz'), (r) => r.status === 200, 30_000, 'readiness');
    assert.deepEqual(ready.body.storage, { ok: true, location: `s3://${s3.bucket}/service` });
    const dataset = await app.api.post('/v1/datasets').send({ name: 's3', examples: clusters({ classes: 6, perClass: 5, dim: 4, noise: 0.2, seed: 1 }) }).expect(201);
    const stored = await app.deps.storage.list(`datasets/${dataset.body.id}`);
    assert.deepEqual(stored.map((o) => o.key), [`datasets/${dataset.body.id}/data.fsd`]);
    assert.equal(stored[0].bytes, dataset.body.bytes);

    const { body } = await app.api.post('/v1/jobs').send(job(dataset.body.id, 10)).expect(202);
    const done = await waitFor(() => getJob(body.id), (j) => finished(j.status), 100_000, 'the job');
    assert.equal(done.status, 'completed', JSON.stringify(done));
    modelId = done.modelId;
    const model = (await app.api.get(`/v1/models/${done.modelId}`).expect(200)).body;
    const objects = await app.deps.storage.list(`runs/${body.id}`);
    assert.ok(objects.some((o) => o.key.endsWith('/manifest.json')) && objects.some((o) => o.key.endsWith('latest.json')));
    assert.equal(model.bytes, objects.reduce((sum, o) => sum + o.bytes, 0));

    const replica = await testEnv({ ...env.env, FEWSHOT_DATA_DIR: await cacheDir() });
    const other = await startApp(replica.config);
    try {
      const support = clusters({ classes: 2, perClass: 2, dim: 4, noise: 0.1, seed: 7 });
      const res = await other.api.post(`/v1/models/${done.modelId}/predict`).send({ support, queries: [{ vector: support[0].vector }] }).expect(200);
      assert.equal(res.body.predictions.length, 1);
    } finally {
      await other.close();
      await rm(replica.config.dataDir, { recursive: true, force: true });
    }
  });

  test('the store down: uploads answer 503 storage_unavailable and leave nothing; /readyz says why; back up, all works', { timeout: 60_000 }, async () => {
    const before = (await app.api.get('/v1/datasets').expect(200)).body.datasets.length;
    await s3.stop();
    try {
      const res = await app.api.post('/v1/datasets').send({ name: 'lost', examples: clusters({ classes: 2, perClass: 2, dim: 2, noise: 0.1, seed: 1 }) });
      assert.equal(res.status, 503, res.text);
      assert.equal(res.body.error.code, 'storage_unavailable');
      assert.match(res.body.error.message, new RegExp(`object storage s3://${s3.bucket}/service could not store datasets/ds_\\w+/data.fsd: .*ECONNREFUSED`));
      assert.equal((await app.api.get('/v1/datasets').expect(200)).body.datasets.length, before, 'no dataset record');
      assert.deepEqual(await filesBelow(join(env.config.dataDir, 'datasets')).then((f) => f.filter((x) => !before || x.path.includes('lost'))), []);
      const ready = await app.api.get('/readyz');
      assert.equal(ready.status, 503);
      assert.equal(ready.body.status, 'not_ready');
      assert.equal(ready.body.storage.ok, false);
      assert.match(ready.body.storage.error, /could not be reached: .*ECONNREFUSED/);
      // A replica that has not cached the model's checkpoint cannot serve it either: 503, not 500.
      const replica = await testEnv({ ...env.env, FEWSHOT_DATA_DIR: await cacheDir() });
      const other = await startApp(replica.config);
      try {
        const support = clusters({ classes: 2, perClass: 1, dim: 4, noise: 0.1, seed: 7 });
        const predict = await other.api.post(`/v1/models/${modelId}/predict`).send({ support, queries: [{ vector: support[0].vector }] });
        assert.equal(predict.status, 503, predict.text);
        assert.equal(predict.body.error.code, 'storage_unavailable');
      } finally {
        await other.close();
        await rm(replica.config.dataDir, { recursive: true, force: true });
      }
    } finally {
      await s3.start();
    }
    await app.api.post('/v1/datasets').send({ name: 'back', examples: clusters({ classes: 2, perClass: 2, dim: 2, noise: 0.1, seed: 1 }) }).expect(201);
    await waitFor(() => app.api.get('/readyz'), (r) => r.status === 200, 10_000, 'readiness again');
  });

  test('a checkpoint upload is retried through an outage; no checkpoint is recorded before it is stored whole', { timeout: 180_000 }, async () => {
    const dataset = await app.api.post('/v1/datasets').send({ name: 'retry', examples: clusters({ classes: 6, perClass: 5, dim: 4, noise: 0.2, seed: 2 }) }).expect(201);
    const { body } = await app.api.post('/v1/jobs').send(job(dataset.body.id, 60)).expect(202);
    await waitFor(() => getJob(body.id), (j) => j.checkpoints.length >= 1, 60_000, 'a first checkpoint');
    await s3.stop();
    let recordedDuringOutage: number[];
    try {
      const failure = await waitFor(() => logs(body.id), (lines) => lines.some((l) => /^storing checkpoint \d+ failed \(attempt 2 of 12\)/.test(l)), 60_000, 'retries');
      recordedDuringOutage = (await getJob(body.id)).checkpoints;
      const stuckAt = Number(/^storing checkpoint (\d+) failed/.exec(failure.find((l) => l.startsWith('storing checkpoint'))!)![1]);
      assert.ok(!recordedDuringOutage.includes(stuckAt), `checkpoint ${stuckAt} recorded before it was stored: ${recordedDuringOutage}`);
    } finally {
      await s3.start();
    }
    const done = await waitFor(() => getJob(body.id), (j) => finished(j.status), 120_000, 'the job');
    assert.equal(done.status, 'completed', JSON.stringify(done));
    const model = (await app.api.get(`/v1/models/${done.modelId}`).expect(200)).body;
    const fresh = new RunStorage(new S3Storage({ bucket: s3.bucket, prefix: 'service', endpoint: s3.endpoint }, await cacheDir()));
    for (const { iteration } of model.checkpoints) {
      await fresh.checkpoint(`runs/${body.id}/ckpt-${String(iteration).padStart(7, '0')}`); // stored whole, checksums agree
    }
    const lines = await logs(body.id);
    assert.ok(lines.some((l) => / failed \(attempt 1 of 12\), retrying: object storage .* could not (store|list) runs\//.test(l)), lines.join('\n'));
  });
});

test('FEWSHOT_STORAGE is validated', () => {
  assert.throws(() => loadConfig({ FEWSHOT_STORAGE: 'gs://bucket' }), /FEWSHOT_STORAGE/);
  assert.throws(() => loadConfig({ FEWSHOT_STORAGE: 's3://B' }), /FEWSHOT_STORAGE/);
  assert.deepEqual(loadConfig({ FEWSHOT_STORAGE: 's3://my-bucket/some/prefix/', FEWSHOT_S3_ENDPOINT: 'http://minio:9000' }).storage, {
    kind: 's3',
    url: 's3://my-bucket/some/prefix/',
    bucket: 'my-bucket',
    prefix: 'some/prefix',
    endpoint: 'http://minio:9000',
  });
  assert.deepEqual(loadConfig({}).storage, { kind: 'local' });
});
