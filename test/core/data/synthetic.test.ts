import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gaussianClusters, multimodalClusters, tinyImages } from '../../../src/core/data/synthetic.js';
import type { ClassDataset, Modality } from '../../../src/core/data/types.js';

/** Leave-one-out nearest-class-mean accuracy on one modality: a floor on learnability. */
function nearestMeanAccuracy(ds: ClassDataset, modality: Modality): number {
  const data = ds.rows[modality]!;
  const width = data.length / ds.rows.n;
  const means = ds.classNames.map((_, c) => {
    const mean = new Float64Array(width);
    const rows = [...ds.labels.keys()].filter((r) => ds.labels[r] === c);
    for (const r of rows) for (let i = 0; i < width; i++) mean[i] += data[r * width + i] / rows.length;
    return mean;
  });
  let correct = 0;
  for (let r = 0; r < ds.rows.n; r++) {
    const distances = means.map((mean) => mean.reduce((s, m, i) => s + (m - data[r * width + i]) ** 2, 0));
    if (distances.indexOf(Math.min(...distances)) === ds.labels[r]) correct++;
  }
  return correct / ds.rows.n;
}

test('gaussian clusters: shape, class-major labels, seeded, separable', () => {
  const ds = gaussianClusters({ classes: 4, perClass: 10, dim: 8, noise: 0.3, seed: 7 });
  assert.equal(ds.rows.n, 40);
  assert.equal(ds.rows.vector!.length, 320);
  assert.deepEqual([...ds.labels.subarray(8, 12)], [0, 0, 1, 1]);
  assert.deepEqual(gaussianClusters({ classes: 4, perClass: 10, dim: 8, noise: 0.3, seed: 7 }), ds);
  assert.notDeepEqual(gaussianClusters({ classes: 4, perClass: 10, dim: 8, noise: 0.3, seed: 8 }).rows.vector, ds.rows.vector);
  assert.ok(nearestMeanAccuracy(ds, 'vector') > 0.95);
});

test('tiny images: [0,1] pixels, seeded, class patterns distinguishable', () => {
  const ds = tinyImages({ classes: 5, perClass: 8, size: 16, seed: 1 });
  assert.deepEqual(ds.rows.spec, { image: { height: 16, width: 16, channels: 1 } });
  assert.equal(ds.rows.image!.length, 40 * 256);
  assert.ok(ds.rows.image!.every((v) => v >= 0 && v <= 1));
  assert.deepEqual(tinyImages({ classes: 5, perClass: 8, size: 16, seed: 1 }).rows, ds.rows);
  assert.ok(nearestMeanAccuracy(ds, 'image') > 0.8);
});

test('multimodal clusters: shared classes, some rows missing exactly one modality', () => {
  const ds = multimodalClusters({ classes: 4, perClass: 25, size: 8, dim: 6, text: true, missing: 0.4, seed: 5 });
  assert.deepEqual(Object.keys(ds.rows.spec).sort(), ['image', 'text', 'vector']);
  let missingRows = 0;
  for (let r = 0; r < ds.rows.n; r++) {
    const absent = (['image', 'text', 'vector'] as const).filter((m) => ds.rows.present[m]![r] === 0);
    assert.ok(absent.length <= 1);
    if (absent.length === 1) {
      missingRows++;
      const m = absent[0];
      const width = ds.rows[m]!.length / ds.rows.n;
      assert.ok(ds.rows[m]!.subarray(r * width, (r + 1) * width).every((v) => v === 0));
    }
  }
  assert.ok(missingRows > 20 && missingRows < 60, `${missingRows} rows missing a modality`);
  // Turning text on leaves the other modalities' draws alone.
  const noText = multimodalClusters({ classes: 4, perClass: 25, size: 8, dim: 6, missing: 0, seed: 5 });
  const full = multimodalClusters({ classes: 4, perClass: 25, size: 8, dim: 6, text: true, missing: 0, seed: 5 });
  assert.deepEqual(noText.rows.vector, full.rows.vector);
  assert.deepEqual(noText.rows.image, full.rows.image);
  assert.ok(nearestMeanAccuracy(full, 'text') > 0.8);
});
