// Fusion with every subset of the four modalities: a model meta-trained on examples that carry
// image, text, vector and strokes (some rows missing some) adapts to support sets and scores
// queries that carry any non-empty subset of them, above chance, each query on its own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildDataset } from '../../../src/core/data/raw-examples.js';
import { loadPredictor } from '../../../src/core/adaptation/predictor.js';
import { readManifest } from '../../../src/core/checkpoint/checkpoint.js';
import { trainRun } from '../../../src/core/training/run.js';
import { tf } from '../../../src/core/tensor/tf.js';
import { useTestBackend } from '../../helpers/backend.js';
import { MODALITY_SUBSETS, multimodalExamples, only } from '../../helpers/multimodal-examples.js';
import { tinyConfig, withTempDir } from '../../helpers/runs.js';

const WAYS = 3;
const PER_CLASS = 10;
const SHOTS = 2;

test('a fused model adapts and predicts with every subset of image, text, vector and strokes', async (t) => {
  await useTestBackend();
  const examples = await multimodalExamples({ classes: 12, perClass: PER_CLASS, seed: 1 });
  // Training rows miss modalities too: every third row has only two of them.
  const training = examples.map((e, i) => (i % 3 === 0 ? only(e, i % 2 ? ['image', 'strokes'] : ['text', 'vector']) : e));
  const dataset = await buildDataset('mm', training, { imageSize: 16, strokePoints: 16, text: { features: 'tfidf-svd', dim: 16 } });
  await withTempDir(async (dir) => {
    const config = tinyConfig({
      algorithm: 'protonet',
      episode: { ways: WAYS, shots: SHOTS, queries: 3 },
      outer: { iterations: 40, metaBatchSize: 2, lr: 3e-3 },
      split: { train: 0.6, validation: 0, test: 0.4 },
      evaluation: { episodes: 0, baselines: false },
    });
    const { bestCheckpoint } = await trainRun({ dataset, config, dir });
    const manifest = await readManifest(bestCheckpoint);
    assert.deepEqual(manifest.text, { features: 'tfidf-svd', dim: 16, vocabulary: manifest.text?.vocabulary });
    const predictor = await loadPredictor(bestCheckpoint);
    const before = tf.memory().numTensors;

    // Three classes the model never trained on.
    const classes = manifest.split.test.slice(0, WAYS).map((view) => dataset.classNames[view.classId]);
    const ofClass = (name: string) => examples.filter((e) => e.label === name);
    const support = classes.flatMap((name) => ofClass(name).slice(0, SHOTS));
    const queries = classes.flatMap((name) => ofClass(name).slice(SHOTS));
    const labels = Int32Array.from(support, (e) => classes.indexOf(e.label));
    const truth = queries.map((e) => classes.indexOf(e.label));

    const accuracies: string[] = [];
    for (const subset of MODALITY_SUBSETS) {
      const task = predictor.adapt(await predictor.featurize(support.map((e) => only(e, subset))), labels, WAYS);
      const rows = await predictor.featurize(queries.map((e) => only(e, subset, true)));
      const scores = await task.predict(rows);
      assert.ok(scores.every(Number.isFinite), `${subset}: finite scores`);
      let correct = 0;
      truth.forEach((label, q) => {
        const row = Array.from(scores.subarray(q * WAYS, (q + 1) * WAYS));
        correct += row.indexOf(Math.max(...row)) === label ? 1 : 0;
      });
      const accuracy = correct / truth.length;
      accuracies.push(`${subset.join('+')} ${(100 * accuracy).toFixed(0)}%`);
      assert.ok(accuracy > 0.5, `${subset.join('+')}: accuracy ${accuracy} (chance ${1 / WAYS})`);
      // A query alone scores as it does among the others.
      const alone = await task.predict(await predictor.featurize([only(queries[5], subset, true)]));
      alone.forEach((p, k) => assert.ok(Math.abs(p - scores[5 * WAYS + k]) < 1e-5, `${subset}: query 5 alone`));
      task.dispose();
    }
    t.diagnostic(`per-subset accuracy on unseen classes: ${accuracies.join(', ')}`);
    assert.equal(tf.memory().numTensors, before, 'adapting and predicting leak nothing');
    predictor.dispose();
  });
});

test('a support set with one modality scores queries by it alone, whatever else the queries carry', async () => {
  await useTestBackend();
  const examples = await multimodalExamples({ classes: 9, perClass: 8, seed: 2 });
  const dataset = await buildDataset('mm', examples, { imageSize: 16, strokePoints: 16, text: { features: 'hashing', dim: 64 } });
  await withTempDir(async (dir) => {
    const config = tinyConfig({ algorithm: 'protonet', outer: { iterations: 5, metaBatchSize: 1, lr: 3e-3 }, split: { train: 0.6, validation: 0, test: 0.4 } });
    const { bestCheckpoint } = await trainRun({ dataset, config, dir });
    const predictor = await loadPredictor(bestCheckpoint);
    const support = [0, 1, 8, 9].map((i) => only(examples[i], ['strokes']));
    const task = predictor.adapt(await predictor.featurize(support), Int32Array.from([0, 0, 1, 1]), 2);
    const full = await task.predict(await predictor.featurize([only(examples[3], ['image', 'text', 'vector', 'strokes'], true)]));
    const strokesOnly = await task.predict(await predictor.featurize([only(examples[3], ['strokes'], true)]));
    assert.deepEqual(full, strokesOnly);
    task.dispose();
    predictor.dispose();
  });
});
