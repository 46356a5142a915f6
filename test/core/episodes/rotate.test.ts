import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rotateImage } from '../../../src/core/episodes/rotate.js';
import type { Rotation } from '../../../src/core/data/types.js';

const SIZE = 5;
const CHANNELS = 2;
/** Each pixel holds its own (row, col) in its two channels. */
const coordinates = Float32Array.from({ length: SIZE * SIZE * CHANNELS }, (_, i) => {
  const pixel = Math.floor(i / CHANNELS);
  return i % CHANNELS === 0 ? Math.floor(pixel / SIZE) : pixel % SIZE;
});

function turned(src: Float32Array, turns: Rotation): Float32Array {
  const out = new Float32Array(src.length);
  rotateImage(src, 0, out, 0, SIZE, CHANNELS, turns);
  return out;
}

const at = (img: Float32Array, r: number, c: number) => [...img.subarray((r * SIZE + c) * CHANNELS, (r * SIZE + c + 1) * CHANNELS)];

test('one quarter turn is counter-clockwise: pixel (r, c) lands at (size-1-c, r)', () => {
  const once = turned(coordinates, 1);
  for (let r = 0; r < SIZE; r++) for (let c = 0; c < SIZE; c++) assert.deepEqual(at(once, SIZE - 1 - c, r), [r, c]);
  // Same as numpy: rot90([[1, 2], [3, 4]]) == [[2, 4], [1, 3]].
  const small = new Float32Array(4);
  rotateImage(Float32Array.of(1, 2, 3, 4), 0, small, 0, 2, 1, 1);
  assert.deepEqual([...small], [2, 4, 1, 3]);
});

test('two and three turns compose from one; four turns are the identity', () => {
  assert.deepEqual(turned(coordinates, 0), coordinates);
  assert.deepEqual(turned(coordinates, 2), turned(turned(coordinates, 1), 1));
  assert.deepEqual(turned(coordinates, 3), turned(turned(coordinates, 2), 1));
  const four = turned(turned(turned(turned(coordinates, 1), 1), 1), 1);
  assert.deepEqual(four, coordinates);
  assert.deepEqual(turned(turned(coordinates, 3), 1), coordinates);
});

test('rotation reads and writes at the given offsets only', () => {
  const size = SIZE * SIZE * CHANNELS;
  const src = new Float32Array(3 * size);
  src.set(coordinates, size);
  const dst = new Float32Array(2 * size).fill(-1);
  rotateImage(src, size, dst, size, SIZE, CHANNELS, 2);
  assert.ok(dst.subarray(0, size).every((v) => v === -1));
  assert.deepEqual(dst.subarray(size), turned(coordinates, 2));
});
