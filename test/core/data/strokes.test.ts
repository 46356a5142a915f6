import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rotateStrokes, STROKE_CHANNELS, strokesProblem, writeStrokes, type Strokes } from '../../../src/core/data/strokes.js';
import { featurize } from '../../../src/core/data/raw-examples.js';
import { CoreError } from '../../../src/core/errors.js';

const points = (out: Float32Array) => Array.from({ length: out.length / STROKE_CHANNELS }, (_, k) => Array.from(out.subarray(k * 3, k * 3 + 3)));

function resampled(strokes: Strokes, n: number): number[][] {
  const out = new Float32Array(n * STROKE_CHANNELS);
  writeStrokes(strokes, n, out);
  return points(out);
}

const close = (a: number, b: number) => Math.abs(a - b) < 1e-6;

test('strokes are resampled evenly along the ink, centred and scaled into [-1, 1] with the aspect ratio kept', () => {
  // An L: 40 units down, then 20 across; t is ignored.
  const l = resampled([[[10, 10, 0], [10, 50, 100], [30, 50, 150]]], 7);
  assert.deepEqual(l.map((p) => p[2]), [1, 0, 0, 0, 0, 0, 0]);
  // Bounding box 20 × 40 around (20, 30): scale 1/20.
  assert.ok(close(l[0][0], -0.5) && close(l[0][1], -1));
  assert.ok(close(l[6][0], 0.5) && close(l[6][1], 1));
  // 60 units of ink in 6 steps of 10: the corner (after 40) is the 5th point.
  assert.ok(close(l[4][0], -0.5) && close(l[4][1], 1));
  assert.ok(close(l[5][0], 0) && close(l[5][1], 1));
  // Scale and position do not matter.
  assert.deepEqual(resampled([[[1, 1], [1, 5], [3, 5]]], 7), l.map((p) => p.map((v) => Math.fround(v))));
});

test('every stroke gets points in proportion to its length, at least one; a pen lift starts a new one', () => {
  const two = resampled([[[0, 0], [30, 0]], [[0, 10], [10, 10]], [[5, 5]]], 8);
  assert.deepEqual(two.map((p) => p[2]), [1, 0, 0, 0, 0, 1, 0, 1]);
  const dot = resampled([[[3, 4]]], 8);
  assert.ok(dot.every(([x, y]) => x === 0 && y === 0));
  assert.equal(dot[0][2], 1);
});

test('a quarter turn maps (x, y) to (y, -x), and four turns are the identity', () => {
  const src = new Float32Array(resampled([[[0, 0], [4, 0], [4, 2]]], 8).flat());
  const once = new Float32Array(src.length);
  rotateStrokes(src, 0, once, 0, 8, 1);
  for (let k = 0; k < 8; k++) {
    assert.equal(once[k * 3], src[k * 3 + 1]);
    assert.equal(once[k * 3 + 1], -src[k * 3]);
    assert.equal(once[k * 3 + 2], src[k * 3 + 2]);
  }
  const back = new Float32Array(src.length);
  rotateStrokes(once, 0, back, 0, 8, 3);
  assert.deepEqual(back, src);
});

test('unusable drawings are named: empty, not numbers, not finite, too many points', async () => {
  assert.equal(strokesProblem([[[0, 0, 0]], [[1, 1]]]), null);
  assert.match(strokesProblem([])!, /strokes is empty/);
  assert.match(strokesProblem([[]])!, /stroke 0 has no points/);
  assert.match(strokesProblem([[[0, 0]], [[1, 'a']]])!, /stroke 1 point 0 has a value that is not a finite number/);
  assert.match(strokesProblem([[[0, Infinity]]])!, /not a finite number/);
  assert.match(strokesProblem([[[0]]])!, /must be \[x, y\] or \[x, y, t\]/);
  assert.match(strokesProblem([Array.from({ length: 10_001 }, () => [0, 0])])!, /more than 10000 points/);
  assert.match(strokesProblem('scribble')!, /must be an array/);
  const spec = { strokes: { points: 8 } };
  await assert.rejects(
    featurize([{ strokes: [[[0, 0]]] }, { strokes: [[[0, 0]], []] }], spec),
    (e: unknown) => e instanceof CoreError && e.code === 'invalid_data' && /^example 1: stroke 1 has no points$/.test(e.message),
  );
});
