// The routes the dashboard reads beside the core API: a job's metric history (JSON and CSV,
// removed with the job), a dataset's samples, a model's checkpoint manifest. Their scopes are in
// auth.test.ts's matrix, their tenant checks in tenants.test.ts.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import sharp from 'sharp';
import { MetricHistory } from '../../src/service/queue/metric-history.js';
import { createRedis } from '../../src/service/redis.js';
import { REDIS_URL, uploadClusters, useAppWithWorker, waitFor } from './helpers.js';

// Keep one finished job: the second job's end removes the first, and its history with it.
const service = useAppWithWorker({ FEWSHOT_KEEP_JOBS: '1' });

const finished = (status: string) => ['completed', 'failed', 'cancelled'].includes(status);
const tinyJob = (datasetId: string, iterations: number) => ({
  datasetId,
  algorithm: 'maml',
  model: { hidden: [16] },
  episode: { ways: 3, shots: 2, queries: 2 },
  outer: { iterations, metaBatchSize: 2 },
  validation: { every: 5, episodes: 4 },
  checkpointEvery: 10,
  evaluation: { episodes: 6, baselines: false },
  split: { train: 0.5, validation: 0.25, test: 0.25 },
});

describe('metric history', () => {
  let datasetId: string;
  let jobId: string;
  let modelId: string;

  before(async () => {
    datasetId = await uploadClusters(service.app.api, { classes: 12, perClass: 6, dim: 4, noise: 0.3, seed: 7 });
    const { body } = await service.app.api.post('/v1/jobs').send(tinyJob(datasetId, 25)).expect(202);
    jobId = body.id;
    const job = await waitFor(() => service.app.api.get(`/v1/jobs/${jobId}`).then((r) => r.body), (j) => finished(j.status), 120_000, 'the job');
    assert.equal(job.status, 'completed', JSON.stringify(job));
    modelId = job.modelId;
  });

  test('GET /v1/jobs/:id/metrics: every iteration once, validations where they ran, evaluation start and end', async () => {
    const res = await service.app.api.get(`/v1/jobs/${jobId}/metrics`).expect(200);
    assert.match(res.headers['content-type'], /application\/json/);
    assert.equal(res.body.jobId, jobId);
    const points = res.body.points as { iteration: number; phase: string; loss: number; accuracy: number; validationAccuracy: number | null; tasksPerSecond: number; time: string }[];
    const training = points.filter((p) => p.phase === 'meta-training');
    assert.deepEqual(
      training.map((p) => p.iteration),
      Array.from({ length: 25 }, (_, i) => i + 1),
    );
    assert.deepEqual(
      training.filter((p) => p.validationAccuracy !== null).map((p) => p.iteration),
      [5, 10, 15, 20, 25],
    );
    assert.ok(training.every((p) => p.loss > 0 && p.accuracy >= 0 && p.accuracy <= 1 && p.tasksPerSecond > 0));
    const evaluation = points.filter((p) => p.phase === 'evaluation');
    assert.equal(evaluation.length, 2, JSON.stringify(evaluation));
    assert.ok(evaluation.every((p) => p.iteration === 25));
    const times = points.map((p) => Date.parse(p.time));
    assert.ok(times.every((t, i) => i === 0 || t >= times[i - 1]), 'oldest first');

    const later = await service.app.api.get(`/v1/jobs/${jobId}/metrics?after=20`).expect(200);
    assert.deepEqual(
      later.body.points.filter((p: { phase: string }) => p.phase === 'meta-training').map((p: { iteration: number }) => p.iteration),
      [21, 22, 23, 24, 25],
    );
  });

  test('Accept: text/csv gives the same points as CSV', async () => {
    const json = (await service.app.api.get(`/v1/jobs/${jobId}/metrics`).expect(200)).body.points;
    const res = await service.app.api.get(`/v1/jobs/${jobId}/metrics`).set('accept', 'text/csv').expect(200);
    assert.match(res.headers['content-type'], /^text\/csv/);
    assert.match(res.headers['content-disposition'], new RegExp(`${jobId}-metrics\\.csv`));
    const [header, ...rows] = res.text.trimEnd().split('\n');
    assert.equal(header, 'iteration,phase,loss,accuracy,validation_accuracy,tasks_per_second,time');
    assert.equal(rows.length, json.length);
    const fifth = rows[4].split(',');
    assert.deepEqual(fifth, [5, 'meta-training', json[4].loss, json[4].accuracy, json[4].validationAccuracy, json[4].tasksPerSecond, json[4].time].map(String));
    assert.equal(rows[0].split(',')[4], '', 'no validation at iteration 1: an empty cell');
  });

  test('unknown jobs are 404', async () => {
    const res = await service.app.api.get('/v1/jobs/job_nope/metrics').expect(404);
    assert.equal(res.body.error.code, 'not_found');
    await service.app.api.get('/v1/jobs/job_nope/metrics').set('accept', 'text/csv').expect(404);
  });

  test("GET /v1/models/:id/manifest is the served checkpoint's manifest, as a download", async () => {
    const res = await service.app.api.get(`/v1/models/${modelId}/manifest`).expect(200);
    assert.match(res.headers['content-disposition'], new RegExp(`attachment; filename="${modelId}-manifest.json"`));
    assert.equal(res.body.format, 'fewshot-checkpoint/1');
    const model = (await service.app.api.get(`/v1/models/${modelId}`).expect(200)).body;
    const dir = join(service.env.config.dataDir, 'runs', jobId);
    const best = JSON.parse(await readFile(join(dir, 'best.json'), 'utf8')) as { checkpoint: string };
    assert.deepEqual(res.body, JSON.parse(await readFile(join(dir, best.checkpoint, 'manifest.json'), 'utf8')));
    assert.deepEqual(res.body.config, model.config);
    await service.app.api.get('/v1/models/mdl_nope/manifest').expect(404);
  });

  test('the history goes when retention removes its job', async () => {
    const redis = createRedis(REDIS_URL, 'client', 'test-history');
    try {
      const history = new MetricHistory(redis, service.env.config.prefix);
      assert.ok((await history.read(jobId)).length > 0);
      const { body } = await service.app.api.post('/v1/jobs').send(tinyJob(datasetId, 3)).expect(202);
      await waitFor(() => service.app.api.get(`/v1/jobs/${body.id}`).then((r) => r.body), (j) => finished(j.status), 120_000, 'the second job');
      // BullMQ keeps one finished job; the first one's history is swept when the second ends.
      await waitFor(() => history.read(jobId), (points) => points.length === 0, 10_000, 'the first history to go');
      await service.app.api.get(`/v1/jobs/${jobId}/metrics`).expect(404);
      assert.ok((await history.read(body.id)).length > 0, 'the kept job keeps its history');
    } finally {
      await redis.quit();
    }
  });
});

describe('dataset samples', () => {
  const png = (value: number, size = 10) =>
    sharp({ create: { width: size, height: size, channels: 3, background: { r: value, g: value, b: value } } }).png().toBuffer();

  test('images as PNG thumbnails of the stored pixels, lines of text, vector heads; paged by class', async () => {
    const examples = [
      { label: 'bright', image: (await png(250)).toString('base64'), text: 'a  sunny\nday', vector: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] },
      { label: 'bright', image: (await png(240)).toString('base64'), text: 'x'.repeat(500) },
      { label: 'dark', image: (await png(10)).toString('base64'), vector: [0, 0, 0, 0, 0, 0, 0, 0, 0, 1] },
      { label: 'dark', text: 'night' },
      { label: 'zz', vector: [9, 9, 9, 9, 9, 9, 9, 9, 9, 9] },
    ];
    const created = await service.app.api.post('/v1/datasets?imageSize=8').send({ name: 'mixed', examples }).expect(201);
    const id = created.body.id;
    const dataset = (await service.app.api.get(`/v1/datasets/${id}`).expect(200)).body;
    assert.equal(dataset.split, undefined, 'no publisher split for uploaded data');

    const res = await service.app.api.get(`/v1/datasets/${id}/samples?limit=2&perClass=3`).expect(200);
    assert.equal(res.body.totalClasses, 3);
    assert.deepEqual(
      res.body.classes.map((c: { name: string }) => c.name),
      ['bright', 'dark'],
    );
    const [bright, dark] = res.body.classes;
    assert.equal(bright.examples, 2);
    assert.deepEqual(bright.texts, ['a sunny day', `${'x'.repeat(159)}…`]);
    assert.deepEqual(dark.texts, ['night']);
    assert.deepEqual(bright.samples[0].vector, [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.equal(bright.samples[1].vector, undefined, 'a missing modality stays missing');
    assert.equal(dark.samples.length, 2);
    assert.equal(dark.samples[1].image, undefined);
    const thumbnail = Buffer.from(dark.samples[0].image.replace(/^data:image\/png;base64,/, ''), 'base64');
    const meta = await sharp(thumbnail).metadata();
    assert.deepEqual([meta.width, meta.height, meta.channels], [8, 8, dataset.spec.image.channels]);
    const data = await sharp(thumbnail).raw().toBuffer();
    assert.ok(Math.abs(data[0] - 10) <= 1, `the stored pixels: ${data[0]}`);

    const next = await service.app.api.get(`/v1/datasets/${id}/samples?offset=2`).expect(200);
    assert.deepEqual(
      next.body.classes.map((c: { name: string; texts: string[] }) => [c.name, c.texts]),
      [['zz', []]],
    );
    await service.app.api.get(`/v1/datasets/${id}/samples?limit=0`).expect(400);
    await service.app.api.get('/v1/datasets/ds_nope/samples').expect(404);
  });

  test('an image dataset stored inverted (Omniglot style) is shown as uploaded', async () => {
    const { LocalStorage } = await import('../../src/service/storage/local.js');
    const { datasetRegistry, storeDataset } = await import('../../src/service/registry/datasets.js');
    const { buildDataset } = await import('../../src/service/core.js');
    const redis = createRedis(REDIS_URL, 'client', 'test-samples');
    try {
      const dataset = await buildDataset('ink', [{ label: 'a', image: (await png(30, 6)).toString('base64') }, { label: 'b', image: (await png(200, 6)).toString('base64') }], {
        imageSize: 6,
        invert: true,
      });
      const record = await storeDataset(
        new LocalStorage(service.env.config.dataDir),
        datasetRegistry(redis, service.env.config.prefix),
        { ...dataset, split: { train: [0], validation: [], test: [1] } },
        'default',
      );
      const page = (await service.app.api.get(`/v1/datasets/${record.id}/samples`).expect(200)).body;
      const pixel = async (url: string) => (await sharp(Buffer.from(url.split(',')[1], 'base64')).raw().toBuffer())[0];
      assert.ok(Math.abs((await pixel(page.classes[0].samples[0].image)) - 30) <= 1);
      const shown = (await service.app.api.get(`/v1/datasets/${record.id}`).expect(200)).body;
      assert.deepEqual(shown.split, { train: [0], validation: [], test: [1] });
    } finally {
      await redis.quit();
    }
  });
});

test('the dashboard is served at /ui and / leads to it', async () => {
  await service.app.api.get('/').expect(302).expect('location', '/ui/');
  await service.app.api.get('/ui').expect(302).expect('location', '/ui/');
  const page = await service.app.api.get('/ui/').expect(200);
  assert.match(page.headers['content-type'], /text\/html/);
  assert.match(page.text, /<script type="module" src="app.js">/);
  const script = await service.app.api.get('/ui/app.js').expect(200);
  assert.match(script.headers['content-type'], /javascript/);
  // The build's compressed copies go to browsers that accept them.
  const compressed = await service.app.api.get('/ui/app.js').set('accept-encoding', 'br, gzip').expect(200);
  assert.equal(compressed.headers['content-encoding'], 'br');
  assert.equal(compressed.text, script.text);
  await service.app.api.get('/ui/nothing.js').expect(404);
  const board = await service.app.api.get('/admin/queues').expect(200);
  assert.match(board.text, /Fewshot queues/);
  const queues = await service.app.api.get('/admin/queues/api/queues').expect(200);
  assert.ok(queues.body.queues.some((q: { name: string }) => q.name === 'train'));
});
