import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CoreError } from '../../../src/core/errors.js';
import { Random } from '../../../src/core/random.js';
import { kFoldClasses, splitClasses, withRotations } from '../../../src/core/episodes/splits.js';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

test('splitClasses partitions every class exactly once, in proportion, reproducibly', () => {
  const split = splitClasses(100, { train: 0.7, validation: 0.1, test: 0.2 }, new Random(1));
  assert.deepEqual([split.train.length, split.validation.length, split.test.length], [70, 10, 20]);
  assert.deepEqual([...split.train, ...split.validation, ...split.test].sort((a, b) => a - b), range(100));
  for (const list of Object.values(split)) assert.deepEqual(list, [...list].sort((a, b) => a - b));
  assert.deepEqual(splitClasses(100, { train: 0.7, validation: 0.1, test: 0.2 }, new Random(1)), split);
  assert.notDeepEqual(splitClasses(100, { train: 0.7, validation: 0.1, test: 0.2 }, new Random(2)), split);
  assert.notDeepEqual(split.train, range(70)); // shuffled, not the first 70
});

test('splitClasses rounds by largest remainder and normalises fractions', () => {
  const odd = splitClasses(7, { train: 1, validation: 1, test: 1 }, new Random(3));
  assert.deepEqual([odd.train.length, odd.validation.length, odd.test.length], [3, 2, 2]);
  const small = splitClasses(5, { train: 0.7, validation: 0.1, test: 0.2 }, new Random(3));
  assert.equal(small.train.length + small.validation.length + small.test.length, 5);
  assert.deepEqual(splitClasses(4, { train: 1, validation: 0, test: 0 }, new Random(1)).train, range(4));
  assert.throws(() => splitClasses(4, { train: 0, validation: 0, test: 0 }, new Random(1)), CoreError);
  assert.throws(() => splitClasses(4, { train: -1, validation: 1, test: 1 }, new Random(1)), CoreError);
});

test('kFoldClasses: every class is tested exactly once; train is the rest', () => {
  const folds = kFoldClasses(11, 3, new Random(4));
  assert.equal(folds.length, 3);
  assert.deepEqual(folds.map((f) => f.test.length).sort(), [3, 4, 4]);
  assert.deepEqual(folds.flatMap((f) => f.test).sort((a, b) => a - b), range(11));
  for (const fold of folds) {
    assert.deepEqual([...fold.train, ...fold.test].sort((a, b) => a - b), range(11));
    assert.ok(fold.test.every((c) => !fold.train.includes(c)));
  }
  assert.deepEqual(kFoldClasses(11, 3, new Random(4)), folds);
  assert.throws(() => kFoldClasses(3, 4, new Random(1)), CoreError);
  assert.throws(() => kFoldClasses(3, 1, new Random(1)), CoreError);
});

test('withRotations makes one view per class, or four with rotations', () => {
  assert.deepEqual(withRotations([3, 5], false), [
    { classId: 3, rotation: 0 },
    { classId: 5, rotation: 0 },
  ]);
  const rotated = withRotations([3, 5], true);
  assert.equal(rotated.length, 8);
  assert.deepEqual(rotated.slice(0, 4), [0, 1, 2, 3].map((rotation) => ({ classId: 3, rotation })));
});
