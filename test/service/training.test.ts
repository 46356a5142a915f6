// End to end with a real worker (its training runs in a forked child): train a tiny MAML
// model, follow it, predict above chance on unseen classes, adapt once and predict again,
// cancel a running job, and keep /healthz prompt while a prediction runs.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { initBackend, loadPredictor } from '../../src/service/core.js';
import { createLogger } from '../../src/service/logger.js';
import { startTrainWorker, type TrainWorker } from '../../src/service/queue/worker.js';
import { clusters, REDIS_URL, startApp, testEnv, uploadClusters, waitFor, type TestApp, type TestEnv } from './helpers.js';

let env: TestEnv;
let app: TestApp;
let worker: TrainWorker;

before(async () => {
  env = await testEnv();
  app = await startApp(env.config);
  worker = startTrainWorker(env.config, REDIS_URL, createLogger(env.config.logLevel, 'test-worker'));
});
after(async () => {
  await worker.close();
  await app.close();
  await env.cleanup();
});

const finished = (status: string) => ['completed', 'failed', 'cancelled'].includes(status);
const getJob = (id: string) => app.api.get(`/v1/jobs/${id}`).then((r) => r.body);

const WAYS = 3;
const tinyJob = (datasetId: string, iterations: number) => ({
  datasetId,
  algorithm: 'maml',
  model: { hidden: [32], norm: 'tasknorm' },
  episode: { ways: WAYS, shots: 2, queries: 3 },
  outer: { iterations, metaBatchSize: 4 },
  validation: { every: 10, episodes: 10 },
  checkpointEvery: 10,
  evaluation: { episodes: 20 },
});

describe('train, then predict', () => {
  let datasetId: string;
  let modelId: string;
  // Classes never seen in training: few-shot prediction has to work from the support set alone.
  const unseen = clusters({ classes: WAYS, perClass: 15, dim: 8, noise: 0.3, seed: 99 });
  const support = unseen.filter((_, i) => i % 15 < 5);
  const held = unseen.filter((_, i) => i % 15 >= 5);
  const queries = held.map(({ vector }) => ({ vector }));

  before(async () => {
    datasetId = await uploadClusters(app.api, { classes: 16, perClass: 10, dim: 8, noise: 0.3, seed: 3 });
  });

  test('a job trains in a child process, reports progress and events, and registers one model', async () => {
    const started = Date.now();
    const { body } = await app.api.post('/v1/jobs').send(tinyJob(datasetId, 40)).expect(202);
    const events = app.api.get(`/v1/jobs/${body.id}/events`).then((r) => r.text);
    const running = await waitFor(() => getJob(body.id), (j) => j.progress !== null, 20_000, 'first progress');
    assert.ok(Date.now() - started < 20_000);
    assert.equal(running.backend.name, 'cpu');
    const job = await waitFor(() => getJob(body.id), (j) => finished(j.status), 120_000, 'job to finish');
    assert.equal(job.status, 'completed', JSON.stringify(job));
    assert.equal(job.progress.iteration, 40);
    assert.deepEqual(job.checkpoints, [10, 20, 30, 40]);
    assert.ok(job.startedAt && job.finishedAt);
    modelId = job.modelId;

    const stream = await events;
    const kinds = [...stream.matchAll(/^event: (\w+)$/gm)].map((m) => m[1]);
    assert.ok(kinds.filter((k) => k === 'progress').length >= 2, stream.slice(0, 500));
    assert.equal(kinds.at(-1), 'done', stream.slice(-600));
    assert.match(stream.split('event: done')[1], /"status":"completed"/);

    const queue = (app.deps.jobs as unknown as { queue: { getJobLogs(id: string): Promise<{ logs: string[] }> } }).queue;
    const { logs } = await queue.getJobLogs(body.id);
    const pid = Number(/\(pid (\d+)\)/.exec(logs[0])?.[1]);
    assert.ok(pid > 0 && pid !== process.pid, `trained in a child process: ${logs[0]}`);
  });

  test('the model: config, dataset, evaluation with both baselines, checkpoints', async () => {
    const { body: model } = await app.api.get(`/v1/models/${modelId}`).expect(200);
    assert.equal(model.algorithm, 'maml');
    assert.equal(model.datasetId, datasetId);
    assert.equal(model.datasetName, 'clusters');
    assert.equal(model.config.outer.iterations, 40);
    assert.equal(model.config.model.norm, 'tasknorm', "the job's model fields reach the recorded config");
    assert.equal(model.evaluation.episodes, 20);
    assert.ok(model.evaluation.accuracy.mean > 0 && model.evaluation.accuracy.ci95 >= 0);
    assert.ok(model.evaluation.baselines.scratch.mean >= 0 && model.evaluation.baselines.pretrained.mean >= 0);
    assert.ok(model.checkpoints.length >= 1);
    const list = await app.api.get('/v1/models').expect(200);
    assert.deepEqual(
      list.body.models.map((m: { id: string }) => m.id),
      [modelId],
    );
  });

  test('predict on unseen classes: above chance', async () => {
    const res = await app.api.post(`/v1/models/${modelId}/predict`).send({ support, queries, steps: 10 }).expect(200);
    assert.equal(res.body.predictions.length, queries.length);
    assert.equal(res.body.adaptation.steps, 10);
    assert.ok(res.body.adaptation.ms >= 0);
    const first = res.body.predictions[0];
    assert.deepEqual(Object.keys(first.scores).sort(), ['class-0', 'class-1', 'class-2']);
    const sum = Object.values(first.scores as Record<string, number>).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - 1) < 1e-4);
    assert.equal(first.confidence, Math.max(...Object.values(first.scores as Record<string, number>)));
    const correct = res.body.predictions.filter((p: { label: string }, i: number) => p.label === held[i].label).length;
    assert.ok(correct / queries.length > 0.6, `accuracy ${correct}/${queries.length} (chance is 1/${WAYS})`);
  });

  test('adaptations: adapt once, predict twice with the same answer, delete', async () => {
    const created = await app.api.post(`/v1/models/${modelId}/adaptations`).send({ support, steps: 10 }).expect(201);
    assert.match(created.body.id, /^ad_/);
    assert.deepEqual(created.body.labels, ['class-0', 'class-1', 'class-2']);
    assert.ok(Date.parse(created.body.expiresAt) > Date.now());
    const one = await app.api.post(`/v1/adaptations/${created.body.id}/predict`).send({ queries }).expect(200);
    const two = await app.api.post(`/v1/adaptations/${created.body.id}/predict`).send({ queries }).expect(200);
    assert.deepEqual(two.body, one.body);
    const direct = await app.api.post(`/v1/models/${modelId}/predict`).send({ support, queries, steps: 10 }).expect(200);
    assert.deepEqual(one.body.predictions, direct.body.predictions);

    // Weights the prediction process lost (eviction, restart) are rebuilt from the stored support set.
    await app.deps.runner.request({ op: 'release', adaptationId: created.body.id });
    const rebuilt = await app.api.post(`/v1/adaptations/${created.body.id}/predict`).send({ queries }).expect(200);
    assert.deepEqual(rebuilt.body, one.body);

    await app.api.delete(`/v1/adaptations/${created.body.id}`).expect(204);
    await app.api.post(`/v1/adaptations/${created.body.id}/predict`).send({ queries }).expect(404);
  });

  test('unusable support sets are 422; inputs the model cannot take are 400', async () => {
    const oneLabel = await app.api
      .post(`/v1/models/${modelId}/predict`)
      .send({ support: support.filter((e) => e.label === 'class-0'), queries })
      .expect(422);
    assert.equal(oneLabel.body.error.code, 'unusable_support_set');
    const tooMany = [...support, { label: 'class-3', vector: support[0].vector }];
    const ways = await app.api.post(`/v1/models/${modelId}/adaptations`).send({ support: tooMany }).expect(422);
    assert.equal(ways.body.error.code, 'unusable_support_set');
    assert.equal(ways.body.error.details.maxWays, WAYS);
    const width = await app.api
      .post(`/v1/models/${modelId}/predict`)
      .send({ support, queries: [{ vector: [1, 2, 3] }] })
      .expect(400);
    assert.equal(width.body.error.code, 'invalid_data');
    const modality = await app.api.post(`/v1/models/${modelId}/predict`).send({ support, queries: [{ text: 'words' }] }).expect(400);
    assert.equal(modality.body.error.code, 'invalid_data');
  });

  test('/healthz answers promptly while a prediction runs', async () => {
    const big = clusters({ classes: WAYS, perClass: 300, dim: 8, noise: 0.3, seed: 5 });
    const bigQueries = big.map(({ vector }) => ({ vector }));
    let done = false;
    const started = performance.now();
    const prediction = app.api
      .post(`/v1/models/${modelId}/predict`)
      .send({ support: big, queries: bigQueries, steps: 200 })
      .then((r) => {
        done = true;
        return r;
      });
    const latencies: number[] = [];
    while (!done) {
      const t = performance.now();
      await app.api.get('/healthz').expect(200);
      if (!done) latencies.push(performance.now() - t);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const res = await prediction;
    assert.equal(res.status, 200);
    const predictMs = performance.now() - started;
    assert.ok(latencies.length >= 3, `prediction took ${predictMs.toFixed(0)} ms, ${latencies.length} health checks during it`);
    assert.ok(Math.max(...latencies) < 250, `health latencies during prediction: ${latencies.map((l) => l.toFixed(0)).join(', ')}`);
  });

  test('deleting the model removes it and its checkpoints', async () => {
    const { body: model } = await app.api.get(`/v1/models/${modelId}`).expect(200);
    await app.api.delete(`/v1/models/${modelId}`).expect(204);
    await app.api.get(`/v1/models/${modelId}`).expect(404);
    await app.api.post(`/v1/models/${modelId}/predict`).send({ support, queries }).expect(404);
    await assert.rejects(readFile(join(env.config.dataDir, 'runs', model.jobId, 'latest.json')));
  });

  test('cancel stops a running job within an iteration and leaves a usable checkpoint', async () => {
    const { body } = await app.api.post('/v1/jobs').send(tinyJob(datasetId, 100_000)).expect(202);
    const running = await waitFor(() => getJob(body.id), (j) => (j.progress?.iteration ?? 0) >= 3, 30_000, 'training to run');
    assert.equal(running.status, 'running');
    const asked = Date.now();
    await app.api.post(`/v1/jobs/${body.id}/cancel`).expect(202);
    const job = await waitFor(() => getJob(body.id), (j) => finished(j.status), 30_000, 'cancel');
    assert.equal(job.status, 'cancelled');
    assert.equal(job.modelId, undefined);
    const perIteration = 1000 / (job.progress.tasksPerSecond / 4);
    assert.ok(Date.now() - asked < 2000 + 2 * perIteration, `stopped after ${Date.now() - asked} ms`);
    const dir = join(env.config.dataDir, 'runs', body.id);
    const latest = JSON.parse(await readFile(join(dir, 'latest.json'), 'utf8')) as { checkpoint: string; iteration: number };
    assert.ok(latest.iteration >= job.progress.iteration - 1);
    await initBackend('cpu');
    const predictor = await loadPredictor(join(dir, latest.checkpoint));
    assert.equal(predictor.algorithm, 'maml');
    predictor.dispose();
    const again = await app.api.post(`/v1/jobs/${body.id}/cancel`).expect(202);
    assert.equal(again.body.status, 'cancelled');
  });
});
