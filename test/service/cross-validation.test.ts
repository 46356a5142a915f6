// A K-fold job through the API and a real worker: the job shows which fold runs, warns (in the
// job, its events and the model) where the small dataset cannot give the requested evaluation,
// and its model reports the folds with mean ± spread and how long evaluation took per episode.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { uploadClusters, useAppWithWorker, waitFor } from './helpers.js';

const service = useAppWithWorker();

const getJob = (id: string) => service.app.api.get(`/v1/jobs/${id}`).then((r) => r.body);

test('a K-fold job reports its folds, which fold runs, and warns when evaluation cannot be 3-way', async () => {
  // 10 classes, default fractions: 7 meta-train, 1 validation, 2 test classes.
  const datasetId = await uploadClusters(service.app.api, { classes: 10, perClass: 10, dim: 8, noise: 0.3, seed: 5 });
  const { body } = await service.app.api
    .post('/v1/jobs')
    .send({
      datasetId,
      algorithm: 'protonet',
      model: { hidden: [16] },
      episode: { ways: 3, shots: 1, queries: 2 },
      outer: { iterations: 20, metaBatchSize: 2 },
      validation: { every: 10, episodes: 5 },
      evaluation: { episodes: 8 },
      crossValidation: { folds: 2, iterations: 10 },
    })
    .expect(202);
  const events = service.app.api.get(`/v1/jobs/${body.id}/events`).then((r) => r.text);
  const job = await waitFor(() => getJob(body.id), (j) => ['completed', 'failed', 'cancelled'].includes(j.status), 120_000, 'job to finish');
  assert.equal(job.status, 'completed', JSON.stringify(job));
  assert.ok(job.warnings.some((w: string) => /evaluation on the test classes is 2-way instead of the requested 3-way/.test(w)), JSON.stringify(job.warnings));
  assert.ok(job.warnings.some((w: string) => /no validation: the validation split has 1 classes/.test(w)));

  const stream = await events;
  assert.match(stream, /"phase":"cross-validation"/);
  assert.match(stream, /"fold":\{"fold":1,"folds":2\}/);
  assert.match(stream, /2-way instead of the requested 3-way/, 'the warning is in the events');

  const { body: model } = await service.app.api.get(`/v1/models/${job.modelId}`).expect(200);
  assert.equal(model.crossValidation.folds.length, 2);
  for (const fold of model.crossValidation.folds) {
    assert.equal(fold.trainClasses + fold.heldOutClasses, 7);
    assert.equal(fold.iterations, 10);
    assert.ok(fold.evaluation.accuracy.mean > 0 && fold.evaluation.episodes === 8);
  }
  assert.ok(model.crossValidation.accuracy.mean > 0 && model.crossValidation.accuracy.std >= 0);
  assert.equal(model.iterations, 20, 'the served model is its own run');
  assert.equal(model.evaluation.ways, 2);
  assert.ok(model.evaluation.timing.msPerEpisode > 0 && model.evaluation.timing.baselineSeconds > 0);
  assert.deepEqual(model.warnings, job.warnings);
  assert.match(model.evaluation.warnings[0], /2-way instead of the requested 3-way/);
  assert.deepEqual(model.checkpoints.map((c: { iteration: number }) => c.iteration).sort((a: number, b: number) => a - b).at(-1), 20);
});

test('more folds than classes is refused at the edge', async () => {
  const datasetId = await uploadClusters(service.app.api, { classes: 4, perClass: 6, dim: 4, noise: 0.3, seed: 6 });
  const { body } = await service.app.api
    .post('/v1/jobs')
    .send({ datasetId, algorithm: 'protonet', episode: { ways: 2 }, crossValidation: { folds: 5 } })
    .expect(400);
  assert.equal(body.error.details[0].path, '/crossValidation/folds');
});
