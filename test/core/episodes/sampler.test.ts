import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CoreError } from '../../../src/core/errors.js';
import { Random } from '../../../src/core/random.js';
import { allocateRows } from '../../../src/core/data/rows.js';
import type { ClassDataset, FeatureRows } from '../../../src/core/data/types.js';
import { EpisodeSampler } from '../../../src/core/episodes/sampler.js';
import { rotateImage } from '../../../src/core/episodes/rotate.js';
import { withRotations } from '../../../src/core/episodes/splits.js';

const SIZE = 4;
const PIXELS = SIZE * SIZE;

/** `classes` x `perClass` rows; each row's vector is its own row index and its image encodes it too. */
function indexed(classes: number, perClass: number, imageShape = { height: SIZE, width: SIZE }): ClassDataset {
  const n = classes * perClass;
  const rows = allocateRows({ image: { ...imageShape, channels: 1 }, vector: { dim: 1 } }, n);
  const width = imageShape.height * imageShape.width;
  for (let r = 0; r < n; r++) {
    rows.vector![r] = r;
    for (let p = 0; p < width; p++) rows.image![r * width + p] = r * 100 + p;
    rows.present.image![r] = 1;
    // Flags vary so the test sees masks travel with rows (values stay: they are the ids).
    rows.present.vector![r] = r % 3 === 0 ? 0 : 1;
  }
  return {
    name: 'indexed',
    classNames: Array.from({ length: classes }, (_, c) => `c${c}`),
    rows,
    // Interleaved, so rows of a class are not contiguous.
    labels: Int32Array.from({ length: n }, (_, r) => r % classes),
  };
}

const rowIds = (rows: FeatureRows) => [...rows.vector!];
const invalid = (pattern: RegExp) => (error: unknown) =>
  error instanceof CoreError && error.code === 'invalid_data' && pattern.test(error.message);

test('episodes have the asked shape, grouped rows and labels 0..ways-1', () => {
  const ds = indexed(8, 6);
  const sampler = new EpisodeSampler(ds, withRotations([0, 1, 2, 3, 4, 5, 6, 7], false), { ways: 5, shots: 2, queries: 3 }, new Random(1));
  const episode = sampler.next();
  assert.equal(episode.ways, 5);
  assert.equal(sampler.ways, 5);
  assert.equal(episode.support.n, 10);
  assert.equal(episode.query.n, 15);
  assert.equal(episode.support.image!.length, 10 * PIXELS);
  assert.deepEqual([...episode.supportLabels], [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
  assert.deepEqual([...episode.queryLabels], [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4]);
  assert.equal(new Set(episode.classIds).size, 5);
  assert.deepEqual(episode.views?.map((v) => v.classId), episode.classIds);
});

test('every row belongs to its label class, support and query never share a row, masks travel along', () => {
  const ds = indexed(8, 6);
  const sampler = new EpisodeSampler(ds, withRotations([0, 1, 2, 3, 4, 5, 6, 7], false), { ways: 4, shots: 2, queries: 4 }, new Random(2));
  for (let i = 0; i < 50; i++) {
    const e = sampler.next();
    const check = (rows: FeatureRows, labels: Int32Array) =>
      rowIds(rows).forEach((id, j) => {
        assert.equal(ds.labels[id], e.classIds[labels[j]]);
        assert.equal(rows.present.vector![j], ds.rows.present.vector![id]);
        assert.equal(rows.image![j * PIXELS + 5], id * 100 + 5);
      });
    check(e.support, e.supportLabels);
    check(e.query, e.queryLabels);
    const support = new Set(rowIds(e.support));
    assert.equal(support.size, e.support.n);
    assert.ok(rowIds(e.query).every((id) => !support.has(id)));
    assert.equal(new Set(rowIds(e.query)).size, e.query.n);
  }
});

test('labels are permuted: a class is not always label 0, and every class gets drawn', () => {
  const ds = indexed(6, 4);
  const sampler = new EpisodeSampler(ds, withRotations([0, 1, 2, 3, 4, 5], false), { ways: 3, shots: 1, queries: 1 }, new Random(3));
  const labelOfClass0 = new Set<number>();
  const drawn = new Set<number>();
  for (let i = 0; i < 200; i++) {
    const e = sampler.next();
    e.classIds.forEach((c) => drawn.add(c));
    if (e.classIds.includes(0)) labelOfClass0.add(e.classIds.indexOf(0));
  }
  assert.deepEqual([...labelOfClass0].sort(), [0, 1, 2]);
  assert.equal(drawn.size, 6);
});

test('the same seed gives the same episodes; another seed does not', () => {
  const ds = indexed(8, 6);
  const views = withRotations([0, 1, 2, 3, 4, 5, 6, 7], true);
  const run = (seed: number) => {
    const sampler = new EpisodeSampler(ds, views, { ways: 5, shots: 1, queries: 2 }, new Random(seed));
    return Array.from({ length: 5 }, () => sampler.next());
  };
  assert.deepEqual(run(9), run(9));
  assert.notDeepEqual(run(9).map((e) => e.classIds), run(10).map((e) => e.classIds));
  // A sampler rebuilt from a saved generator state continues the same stream.
  const rng = new Random(11);
  const first = new EpisodeSampler(ds, views, { ways: 5, shots: 1, queries: 2 }, rng);
  first.next();
  const resumed = new EpisodeSampler(ds, views, { ways: 5, shots: 1, queries: 2 }, new Random(rng.state));
  assert.deepEqual(resumed.next(), first.next());
});

test('rotated views rotate the image of every row of that label, and only the image', () => {
  const ds = indexed(3, 4);
  const views = [{ classId: 0, rotation: 1 as const }, { classId: 0, rotation: 3 as const }, { classId: 1, rotation: 2 as const }];
  const sampler = new EpisodeSampler(ds, views, { ways: 3, shots: 2, queries: 2 }, new Random(4));
  for (let i = 0; i < 10; i++) {
    const e = sampler.next();
    const check = (rows: FeatureRows, labels: Int32Array) =>
      rowIds(rows).forEach((id, j) => {
        const expected = new Float32Array(PIXELS);
        rotateImage(ds.rows.image!, id * PIXELS, expected, 0, SIZE, 1, e.views![labels[j]].rotation);
        assert.deepEqual(rows.image!.subarray(j * PIXELS, (j + 1) * PIXELS), expected);
      });
    check(e.support, e.supportLabels);
    check(e.query, e.queryLabels);
  }
});

test('impossible requests are invalid_data with the reason', () => {
  const ds = indexed(4, 3);
  const all = withRotations([0, 1, 2, 3], false);
  const rng = new Random(1);
  assert.throws(() => new EpisodeSampler(ds, all, { ways: 5, shots: 1, queries: 1 }, rng), invalid(/5-way episodes need 5 classes, only 4/));
  assert.throws(() => new EpisodeSampler(ds, all, { ways: 2, shots: 2, queries: 2 }, rng), invalid(/class 'c0' has 3 examples; 2 shots \+ 2 queries need 4/));
  assert.throws(() => new EpisodeSampler(ds, [{ classId: 9, rotation: 0 }, ...all], { ways: 2, shots: 1, queries: 1 }, rng), invalid(/class 9 is not/));
  assert.throws(() => new EpisodeSampler(ds, [...all, all[0]], { ways: 2, shots: 1, queries: 1 }, rng), invalid(/listed twice/));
  assert.throws(() => new EpisodeSampler(ds, all, { ways: 2, shots: 0, queries: 1 }, rng), invalid(/bad episode shape/));
  const wide = indexed(4, 3, { height: 2, width: 3 });
  assert.throws(
    () => new EpisodeSampler(wide, withRotations([0, 1], true), { ways: 2, shots: 1, queries: 1 }, rng),
    invalid(/square images/),
  );
});
