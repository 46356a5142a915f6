import { test } from 'node:test';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { trainRun } from '../../../src/core/training/run.js';
import { loadPredictor } from '../../../src/core/adaptation/predictor.js';
import { multimodalClusters, tinyImages } from '../../../src/core/data/synthetic.js';
import { gatherRows } from '../../../src/core/episodes/gather.js';
import { decodeImage } from '../../../src/core/data/images.js';
import { CoreError } from '../../../src/core/errors.js';
import { MANIFEST as CHECKPOINT_MANIFEST, readManifest } from '../../../src/core/checkpoint/checkpoint.js';
import { tf } from '../../../src/core/tensor/tf.js';
import type { ClassDataset, FeatureRows } from '../../../src/core/data/types.js';
import { TEST_BACKENDS, useTestBackend } from '../../helpers/backend.js';
import { tinyConfig, withTempDir } from '../../helpers/runs.js';

/** Support: first `shots` rows of classes 0..ways-1; queries: the next `queries` rows. */
function task(dataset: ClassDataset, perClass: number, ways: number, shots: number, queries: number) {
  const pick = (from: number, count: number) =>
    Array.from({ length: ways * count }, (_, i) => Math.floor(i / count) * perClass + from + (i % count));
  return {
    support: gatherRows(dataset.rows, pick(0, shots)),
    labels: Int32Array.from({ length: ways * shots }, (_, i) => Math.floor(i / shots)),
    query: gatherRows(dataset.rows, pick(shots, queries)),
    queryLabels: Int32Array.from({ length: ways * queries }, (_, i) => Math.floor(i / queries)),
  };
}

function argmaxAccuracy(probabilities: Float32Array, ways: number, labels: Int32Array): number {
  let correct = 0;
  labels.forEach((label, row) => {
    const scores = Array.from(probabilities.subarray(row * ways, (row + 1) * ways));
    correct += scores.indexOf(Math.max(...scores)) === label ? 1 : 0;
  });
  return correct / labels.length;
}

const images = tinyImages({ classes: 10, perClass: 8, size: 16, seed: 2 });

for (const backend of TEST_BACKENDS) {
  for (const [algorithm, norm] of [
    ['maml', 'support'],
    ['protonet', 'support'],
    ['maml', 'tasknorm'],
    ['protonet', 'tasknorm'],
    ['maml', 'instance'],
    ['metasgd', 'support'],
    ['anil', 'support'],
  ] as const) {
    test(`${algorithm} conv4, ${norm} norm: a query's scores do not depend on the other queries in the request (${backend})`, async () => {
      await useTestBackend(backend);
      await withTempDir(async (dir) => {
        const { bestCheckpoint } = await trainRun({
          dataset: images,
          config: tinyConfig({ algorithm, model: { filters: 4, hidden: [24], fusionDim: 8, norm }, outer: { iterations: 4, metaBatchSize: 2, lr: 1e-3 } }),
          dir,
        });
        assert.equal((await readManifest(bestCheckpoint)).config.model.norm, norm, 'the checkpoint records its normalisation');
        const predictor = await loadPredictor(bestCheckpoint);
        const before = tf.memory().numTensors;
        const t = task(images, 8, 3, 1, 4);
        const adapted = predictor.adapt(t.support, t.labels, 3);
        const together = await adapted.predict(t.query);
        for (const row of [0, 5, 11]) {
          const alone = await adapted.predict(gatherRows(t.query, [row]));
          const pair = await adapted.predict(gatherRows(t.query, [row, (row + 3) % 12]));
          for (let k = 0; k < 3; k++) {
            assert.ok(Math.abs(alone[k] - together[row * 3 + k]) < 1e-5, `row ${row} alone vs with all queries`);
            assert.ok(Math.abs(pair[k] - together[row * 3 + k]) < 1e-5, `row ${row} in a pair vs with all queries`);
          }
        }
        adapted.dispose();
        assert.equal(tf.memory().numTensors, before, 'adapt + predict + dispose frees every tensor');
        predictor.dispose();
      });
    });
  }

  test(`a checkpoint from before normalisation was a choice predicts with support-set moments, as it was trained (${backend})`, async () => {
    await useTestBackend(backend);
    await withTempDir(async (dir) => {
      const { bestCheckpoint } = await trainRun({
        dataset: images,
        config: tinyConfig({ algorithm: 'maml', outer: { iterations: 2, metaBatchSize: 2, lr: 1e-3 } }),
        dir,
      });
      const t = task(images, 8, 3, 1, 4);
      const predict = async () => {
        const predictor = await loadPredictor(bestCheckpoint);
        const adapted = predictor.adapt(t.support, t.labels, 3);
        try {
          return await adapted.predict(t.query);
        } finally {
          adapted.dispose();
          predictor.dispose();
        }
      };
      const recorded = await predict();
      const path = join(bestCheckpoint, CHECKPOINT_MANIFEST);
      const manifest = JSON.parse(await readFile(path, 'utf8'));
      assert.equal(manifest.config.model.norm, 'support');
      delete manifest.config.model.norm;
      await writeFile(path, JSON.stringify(manifest));
      assert.deepEqual(await predict(), recorded);
    });
  });

  test(`multimodal: rows missing a modality, and a support set that never shows one, still predict (${backend})`, async () => {
    await useTestBackend(backend);
    const data = multimodalClusters({ classes: 9, perClass: 8, size: 16, dim: 8, seed: 4, missing: 0.3 });
    await withTempDir(async (dir) => {
      const { bestCheckpoint } = await trainRun({
        dataset: data,
        config: tinyConfig({ algorithm: 'protonet', outer: { iterations: 15, metaBatchSize: 2, lr: 3e-3 }, split: { train: 0.6, validation: 0, test: 0.4 } }),
        dir,
      });
      const predictor = await loadPredictor(bestCheckpoint);
      const t = task(data, 8, 3, 2, 5);
      const adapted = predictor.adapt(t.support, t.labels, 3);
      const probabilities = await adapted.predict(t.query);
      assert.ok(probabilities.every(Number.isFinite));
      adapted.dispose();
      // A support set with vectors only: images of the queries are ignored, not mis-normalised.
      const vectorsOnly: FeatureRows = { ...t.support, present: { ...t.support.present, image: new Uint8Array(t.support.n) } };
      const blind = predictor.adapt(vectorsOnly, t.labels, 3);
      const scores = await blind.predict(t.query);
      assert.ok(scores.every(Number.isFinite));
      assert.ok(argmaxAccuracy(scores, 3, t.queryLabels) > 0.4);
      blind.dispose();
      predictor.dispose();
    });
  });

  test(`support sets the model cannot serve are typed errors (${backend})`, async () => {
    await useTestBackend(backend);
    await withTempDir(async (dir) => {
      const { bestCheckpoint } = await trainRun({
        dataset: images,
        config: tinyConfig({ algorithm: 'fomaml', outer: { iterations: 2, metaBatchSize: 1, lr: 1e-3 } }),
        dir,
      });
      const predictor = await loadPredictor(bestCheckpoint);
      assert.equal(predictor.maxWays, 3);
      const t = task(images, 8, 4, 1, 1);
      const unusable = (fn: () => unknown, pattern: RegExp) =>
        assert.throws(fn, (e: unknown) => e instanceof CoreError && e.code === 'unusable_support_set' && pattern.test(e.message));
      unusable(() => predictor.adapt(t.support, t.labels, 4), /at most 3 labels/);
      unusable(() => predictor.adapt(gatherRows(t.support, [0]), Int32Array.from([0]), 1), /at least two labels/);
      unusable(() => predictor.adapt(gatherRows(t.support, [0, 1]), Int32Array.from([0, 2]), 3), /label 1 has no support example/);
      predictor.dispose();
    });
  });
}

test("prediction resizes uploads with the model's filter; a checkpoint without one resizes bilinearly, as before the choice", async () => {
  // Trained on Lanczos-resized 16x16 images; served 48x48 uploads must be shrunk the same way.
  const image = images.rows.spec.image!;
  const lanczos: ClassDataset = { ...images, rows: { ...images.rows, spec: { ...images.rows.spec, image: { ...image, resize: 'lanczos' } } } };
  const noise = Buffer.from(Array.from({ length: 48 * 48 }, (_, i) => (i * 7919) % 251));
  const png = await sharp(noise, { raw: { width: 48, height: 48, channels: 1 } }).png().toBuffer();
  const examples = [{ image: png }, { image: png.toString('base64') }];
  await withTempDir(async (dir) => {
    const { bestCheckpoint } = await trainRun({
      dataset: lanczos,
      config: tinyConfig({ algorithm: 'protonet', outer: { iterations: 2, metaBatchSize: 1, lr: 1e-3 } }),
      dir,
    });
    const featurized = async () => {
      const predictor = await loadPredictor(bestCheckpoint);
      try {
        return (await predictor.featurize(examples)).image!;
      } finally {
        predictor.dispose();
      }
    };
    assert.equal((await readManifest(bestCheckpoint)).spec.image?.resize, 'lanczos', 'the checkpoint records the filter');
    const served = await featurized();
    assert.deepEqual(served.subarray(0, 256), await decodeImage(png, { ...image, resize: 'lanczos' }));
    const path = join(bestCheckpoint, CHECKPOINT_MANIFEST);
    const manifest = JSON.parse(await readFile(path, 'utf8'));
    delete manifest.spec.image.resize;
    await writeFile(path, JSON.stringify(manifest));
    const older = await featurized();
    assert.deepEqual(older.subarray(0, 256), await decodeImage(png, { ...image, resize: 'bilinear' }));
    assert.notDeepEqual(older, served);
  });
});
