// Meta-SGD and ANIL through the whole service: a job per algorithm trains over the API (in a
// forked child, as every job does), registers a model whose checkpoint holds what the algorithm
// learns (Meta-SGD's learning rates beside the weights), and that model predicts unseen classes
// above chance, directly and through a cached adaptation, with fewer labels than it was trained on too.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { join } from 'node:path';
import { readCheckpoint } from '../../src/core/checkpoint/checkpoint.js';
import { readPointer } from '../../src/core/checkpoint/run-dir.js';
import { clusters, uploadClusters, useAppWithWorker, waitFor } from './helpers.js';

const service = useAppWithWorker();

const WAYS = 3;
const unseen = clusters({ classes: WAYS, perClass: 15, dim: 8, noise: 0.3, seed: 99 });
const support = unseen.filter((_, i) => i % 15 < 5);
const held = unseen.filter((_, i) => i % 15 >= 5);
const queries = held.map(({ vector }) => ({ vector }));

for (const algorithm of ['metasgd', 'anil'] as const) {
  test(`${algorithm}: trained through the jobs API, then predicts unseen classes and adapts once`, async () => {
    const datasetId = await uploadClusters(service.app.api, { classes: 16, perClass: 10, dim: 8, noise: 0.3, seed: 3 });
    const { body } = await service.app.api
      .post('/v1/jobs')
      .send({
        datasetId,
        algorithm,
        model: { hidden: [32] },
        episode: { ways: WAYS, shots: 2, queries: 3 },
        inner: { steps: 2 },
        outer: { iterations: 40, metaBatchSize: 4 },
        validation: { every: 20, episodes: 10 },
        checkpointEvery: 20,
        evaluation: { episodes: 20, baselines: false },
      })
      .expect(202);
    const job = await waitFor(
      () => service.app.api.get(`/v1/jobs/${body.id}`).then((r) => r.body),
      (j) => ['completed', 'failed', 'cancelled'].includes(j.status),
      180_000,
      `the ${algorithm} job`,
    );
    assert.equal(job.status, 'completed', JSON.stringify(job));
    assert.equal(job.algorithm, algorithm);
    const { body: model } = await service.app.api.get(`/v1/models/${job.modelId}`).expect(200);
    assert.equal(model.algorithm, algorithm);
    assert.ok(model.evaluation.accuracy.mean > 0.6, `test accuracy ${model.evaluation.accuracy.mean} (chance 1/${WAYS})`);

    const run = join(service.env.config.dataDir, 'runs', body.id);
    const { manifest, params } = await readCheckpoint(join(run, (await readPointer(run, 'latest'))!.checkpoint));
    const rates = manifest.params.flatMap((p, i) => (p.name.endsWith('.lr') ? [params[i]] : []));
    if (algorithm === 'metasgd') {
      assert.equal(rates.length, manifest.params.length / 2, 'one learning-rate tensor per weight tensor');
      assert.ok(rates.some((r) => r.some((v) => Math.abs(v - 0.4) > 1e-4)), 'the rates moved from their initial 0.4');
    } else {
      assert.equal(rates.length, 0);
    }

    const res = await service.app.api.post(`/v1/models/${job.modelId}/predict`).send({ support, queries }).expect(200);
    assert.equal(res.body.adaptation.steps, 2, 'the trained number of inner steps by default');
    const correct = res.body.predictions.filter((p: { label: string }, i: number) => p.label === held[i].label).length;
    assert.ok(correct / queries.length > 0.6, `accuracy ${correct}/${queries.length} (chance 1/${WAYS})`);

    const created = await service.app.api.post(`/v1/models/${job.modelId}/adaptations`).send({ support }).expect(201);
    const cached = await service.app.api.post(`/v1/adaptations/${created.body.id}/predict`).send({ queries }).expect(200);
    assert.deepEqual(cached.body.predictions, res.body.predictions);

    // Two labels on a three-way model: the head's unused output is left out.
    const pair = support.filter((e) => e.label !== 'class-2');
    const two = await service.app.api.post(`/v1/models/${job.modelId}/predict`).send({ support: pair, queries }).expect(200);
    assert.deepEqual(Object.keys(two.body.predictions[0].scores).sort(), ['class-0', 'class-1']);
  });
}
