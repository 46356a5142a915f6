// Imports of the real benchmark data; skipped where ../shared/datasets is absent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HUFFPOST_SPLIT, loadHuffPost } from '../../../src/core/data/huffpost.js';
import { loadOmniglot } from '../../../src/core/data/omniglot.js';
import { SHARED_DATASETS } from '../../../scripts/lib/shared.js';

const OMNIGLOT_SMALL = join(SHARED_DATASETS, 'omniglot/images_background_small1.zip');
const HUFFPOST = join(SHARED_DATASETS, 'huffpost');

test('Omniglot (small background set) imports as inverted 28x28 images with their pen strokes, then from cache', {
  skip: !existsSync(OMNIGLOT_SMALL) && 'Omniglot data not present',
}, async () => {
  const cacheDir = await mkdtemp(join(tmpdir(), 'fewshot-omniglot-'));
  try {
    const { dataset, background, evaluation } = await loadOmniglot(OMNIGLOT_SMALL, { cacheDir });
    assert.equal(dataset.rows.n, dataset.classNames.length * 20); // 20 drawers per character
    assert.match(dataset.classNames[0], /^[^/]+\/character\d\d$/);
    assert.deepEqual(background, dataset.classNames.map((_, i) => i));
    assert.deepEqual(evaluation, []);
    assert.deepEqual(dataset.rows.spec, { image: { height: 28, width: 28, channels: 1, invert: true }, strokes: { points: 64 } });
    const strokes = dataset.rows.strokes!;
    assert.ok(dataset.rows.present.strokes!.every((p) => p === 1));
    assert.ok(strokes.every((v) => v >= -1 && v <= 1));
    for (let row = 0; row < dataset.rows.n; row++) assert.equal(strokes[row * 64 * 3 + 2], 1, `row ${row} starts with a pen-down`);
    const imagesOnly = await loadOmniglot(OMNIGLOT_SMALL, { cacheDir, strokes: false });
    assert.deepEqual(imagesOnly.dataset.rows.image, dataset.rows.image);
    assert.equal(imagesOnly.dataset.rows.spec.strokes, undefined);
    const pixels = dataset.rows.image!;
    const mean = pixels.reduce((a, b) => a + b, 0) / pixels.length;
    assert.ok(mean > 0.03 && mean < 0.3, `strokes are sparse after inverting: mean ${mean}`);
    assert.ok(pixels.every((v) => v >= 0 && v <= 1));
    assert.equal((await readdir(cacheDir)).length, 1);
    const again = await loadOmniglot(OMNIGLOT_SMALL, { cacheDir });
    assert.deepEqual(again.dataset.rows, dataset.rows);
  } finally {
    await rm(cacheDir, { recursive: true, force: true });
  }
});

test('HuffPost imports 41 classes x 900 headlines with the standard split', {
  skip: !existsSync(HUFFPOST) && 'HuffPost data not present',
}, async () => {
  const ds = await loadHuffPost(HUFFPOST, { text: { features: 'hashing', dim: 128 } });
  assert.deepEqual(ds.rows.spec, { text: { features: 128 } });
  assert.deepEqual(ds.textFeatures, { features: 'hashing', dim: 128 });
  assert.equal(ds.texts?.[1], "will smith joins diplo and nicky jam for the 2018 world cup 's official song");
  assert.equal(ds.classNames.length, 41);
  assert.equal(ds.classNames[0], 'POLITICS');
  assert.equal(ds.rows.n, 41 * 900);
  const counts = new Array(41).fill(0);
  ds.labels.forEach((label) => counts[label]++);
  assert.ok(counts.every((c) => c === 900));
  assert.ok(ds.rows.present.text!.every((p) => p === 1));
  const all = [...HUFFPOST_SPLIT.validation, ...HUFFPOST_SPLIT.train, ...HUFFPOST_SPLIT.test];
  assert.deepEqual(all.sort((a, b) => a - b), Array.from({ length: 41 }, (_, i) => i));
  assert.deepEqual([HUFFPOST_SPLIT.validation.length, HUFFPOST_SPLIT.train.length, HUFFPOST_SPLIT.test.length], [5, 20, 16]);
  assert.deepEqual([HUFFPOST_SPLIT.train[0], HUFFPOST_SPLIT.validation[0], HUFFPOST_SPLIT.test[0]], [0, 20, 25]);
});
