// End to end over HTTP with missing modalities: upload examples that carry different subsets of
// text, image, vector and pen strokes, train a job on them (TF-IDF + SVD text features fitted in
// the job), then predict on classes the model never saw with support sets and queries that each
// lack a different modality, and with a support set of one modality only: above chance, and a
// query's scores never depend on the queries beside it. Also: strokes a request cannot use are
// a 400 that names the example.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { MODALITIES, type Modality } from '../../src/core/data/types.js';
import { multimodalExamples, only, type MultimodalExample } from '../helpers/multimodal-examples.js';
import { useAppWithWorker, waitFor } from './helpers.js';

const service = useAppWithWorker();

const WAYS = 3;
const SHOTS = 2;
const TRAIN_CLASSES = 12;
const PER_CLASS = 10;
// Training rows carry these mixes in turn, so every modality is often missing.
const MIXES: Modality[][] = [['image', 'text', 'vector', 'strokes'], ['image', 'strokes'], ['text', 'vector'], ['text', 'strokes', 'vector'], ['image', 'vector']];

describe('multimodal data with missing modalities, through HTTP', () => {
  let examples: MultimodalExample[];
  let modelId: string;
  // Three classes held out of the upload: few-shot prediction has only the support set to go on.
  const unseen = () => examples.slice(TRAIN_CLASSES * PER_CLASS);
  const support = () => [0, 1, 2].flatMap((c) => unseen().slice(c * PER_CLASS, c * PER_CLASS + SHOTS));
  const held = () => [0, 1, 2].flatMap((c) => unseen().slice(c * PER_CLASS + SHOTS, (c + 1) * PER_CLASS));

  before(async () => {
    examples = await multimodalExamples({ classes: TRAIN_CLASSES + WAYS, perClass: PER_CLASS, seed: 11 });
  });

  test('a dataset of mixed modalities uploads, and a job trains on it with TF-IDF + SVD text features', async () => {
    const upload = examples.slice(0, TRAIN_CLASSES * PER_CLASS).map((e, i) => only(e, MIXES[i % MIXES.length]));
    const created = await service.app.api
      .post('/v1/datasets?imageSize=16&strokePoints=16&textFeatures=tfidf-svd&textDim=16')
      .send({ name: 'mixed', examples: upload })
      .expect(201);
    assert.deepEqual(created.body.modalities, ['image', 'text', 'vector', 'strokes']);
    assert.deepEqual(created.body.text, { features: 'tfidf-svd', dim: 16 });
    const { body: dataset } = await service.app.api.get(`/v1/datasets/${created.body.id}`).expect(200);
    assert.deepEqual(dataset.spec.strokes, { points: 16 });

    const job = await service.app.api
      .post('/v1/jobs')
      .send({
        datasetId: created.body.id,
        algorithm: 'protonet',
        model: { filters: 4, hidden: [24], fusionDim: 16 },
        episode: { ways: WAYS, shots: SHOTS, queries: 3 },
        outer: { iterations: 40, metaBatchSize: 2, lr: 3e-3 },
        validation: { every: 0 },
        checkpointEvery: 20,
        evaluation: { episodes: 10, baselines: false },
        split: { train: 0.7, validation: 0.1, test: 0.2 },
      })
      .expect(202);
    const done = await waitFor(() => service.app.api.get(`/v1/jobs/${job.body.id}`).then((r) => r.body), (j) => ['completed', 'failed', 'cancelled'].includes(j.status), 240_000, 'the job');
    assert.equal(done.status, 'completed', JSON.stringify(done));
    modelId = done.modelId;
    const { body: model } = await service.app.api.get(`/v1/models/${modelId}`).expect(200);
    assert.deepEqual(model.config.text, { features: 'tfidf-svd', dim: 16 });
    // A job may choose other text features; an SVD wider than the limit is refused up front.
    const wide = await service.app.api.post('/v1/jobs').send({ datasetId: created.body.id, algorithm: 'protonet', text: { dim: 2000 } }).expect(400);
    assert.match(wide.body.error.message, /tfidf-svd text features are 1 to 1024 wide, not 2000/);
  });

  const accuracy = (predictions: { label: string }[], truth: MultimodalExample[]) =>
    predictions.filter((p, i) => p.label === truth[i].label).length / truth.length;

  test('support sets and queries that each lack a different modality predict above chance', async (t) => {
    const results: string[] = [];
    for (const [k, missing] of MODALITIES.entries()) {
      const queryMissing = MODALITIES[(k + 1) % MODALITIES.length];
      const supportSet = support().map((e) => only(e, MODALITIES.filter((m) => m !== missing)));
      const queries = held().map((e) => only(e, MODALITIES.filter((m) => m !== queryMissing), true));
      const res = await service.app.api.post(`/v1/models/${modelId}/predict`).send({ support: supportSet, queries }).expect(200);
      const score = accuracy(res.body.predictions, held());
      results.push(`support without ${missing}, queries without ${queryMissing}: ${(100 * score).toFixed(0)}%`);
      assert.ok(score > 0.5, results.at(-1));
    }
    // A support set that shows one modality only: queries are scored on it, whatever else they carry.
    for (const single of MODALITIES) {
      const supportSet = support().map((e) => only(e, [single]));
      const queries = held().map((e) => only(e, [...MODALITIES], true));
      const res = await service.app.api.post(`/v1/models/${modelId}/predict`).send({ support: supportSet, queries }).expect(200);
      const score = accuracy(res.body.predictions, held());
      results.push(`support of ${single} only: ${(100 * score).toFixed(0)}%`);
      assert.ok(score > 0.5, results.at(-1));
    }
    t.diagnostic(results.join('; '));
  });

  test("a query's scores do not depend on the other queries in the request", async () => {
    const supportSet = support().map((e) => only(e, ['image', 'text', 'strokes']));
    const queries = held().map((e, i) => only(e, [MODALITIES[i % 4], MODALITIES[(i + 1) % 4]], true));
    const together = await service.app.api.post(`/v1/models/${modelId}/predict`).send({ support: supportSet, queries }).expect(200);
    for (const i of [0, 5, 10, 17]) {
      const alone = await service.app.api.post(`/v1/models/${modelId}/predict`).send({ support: supportSet, queries: [queries[i]] }).expect(200);
      const pair = await service.app.api
        .post(`/v1/models/${modelId}/predict`)
        .send({ support: supportSet, queries: [queries[(i + 7) % queries.length], queries[i]] })
        .expect(200);
      for (const [label, p] of Object.entries(together.body.predictions[i].scores as Record<string, number>)) {
        assert.ok(Math.abs(alone.body.predictions[0].scores[label] - p) < 1e-5, `query ${i} alone`);
        assert.ok(Math.abs(pair.body.predictions[1].scores[label] - p) < 1e-5, `query ${i} in a pair`);
      }
    }
  });

  test('unusable strokes are a 400 naming the example', async () => {
    const good = support();
    const cases: [unknown, RegExp][] = [
      [[], /examples\/3\/strokes/],
      [[[]], /examples\/3\/strokes\/0/],
      [[[[1, 'a']]], /examples\/3\/strokes\/0\/0\/1/],
      [[[[1]]], /examples\/3\/strokes\/0\/0/],
      [[Array.from({ length: 10_001 }, () => [0, 0])], /examples\/3\/strokes/],
    ];
    for (const [strokes, where] of cases) {
      const examples = good.map((e, i) => (i === 3 ? { label: e.label, strokes } : e));
      const res = await service.app.api.post('/v1/datasets').send({ name: 'bad', examples }).expect(400);
      assert.equal(res.body.error.code, 'validation_failed');
      assert.match(JSON.stringify(res.body.error.details), where);
    }
    // The same through NDJSON, where the core's own check speaks: it names the example too.
    const ndjson = [...good.slice(0, 3), { label: 'x', strokes: [[[0, 0]], []] }].map((e) => JSON.stringify(e)).join('\n');
    const res = await service.app.api.post('/v1/datasets?name=bad').set('content-type', 'application/x-ndjson').send(ndjson).expect(400);
    assert.match(JSON.stringify(res.body.error), /examples?\W+3|\/3\/strokes/);
    // And in a prediction request.
    const query = await service.app.api
      .post(`/v1/models/${modelId}/predict`)
      .send({ support: good, queries: [{ strokes: [[[0, 0]]] }, { strokes: [[[0, 'NaN']]] }] })
      .expect(400);
    assert.match(JSON.stringify(query.body.error.details), /queries\/1\/strokes\/0\/0\/1/);
  });
});
