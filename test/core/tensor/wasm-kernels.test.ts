// The wasm kernel replacements (src/core/tensor/wasm-kernels.ts) against the same operation
// written out element by element on the host, over random shapes, ranks 1–6 and dtypes.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../../src/core/tensor/backend.js';
import { tf } from '../../../src/core/tensor/tf.js';
import { Random } from '../../../src/core/random.js';

before(async () => {
  assert.equal((await initBackend('wasm', { wasmThreads: 1 })).name, 'wasm');
});

function hostSlice(values: ArrayLike<number>, shape: number[], begin: number[], size: number[]): number[] {
  const strides = shape.map((_, axis) => shape.slice(axis + 1).reduce((a, b) => a * b, 1));
  const total = size.reduce((a, b) => a * b, 1);
  const out: number[] = [];
  for (let flat = 0; flat < total; flat++) {
    let rest = flat;
    let from = 0;
    for (let axis = size.length - 1; axis >= 0; axis--) {
      from += (begin[axis] + (rest % size[axis])) * strides[axis];
      rest = Math.floor(rest / size[axis]);
    }
    out.push(values[from]);
  }
  return out;
}

test('wasm Slice equals an element-by-element slice for random shapes and dtypes', () => {
  const rng = new Random(7);
  const dtypes = ['float32', 'int32', 'bool'] as const;
  for (let trial = 0; trial < 300; trial++) {
    const rank = 1 + (trial % 6);
    const shape = Array.from({ length: rank }, () => 1 + Math.floor(rng.next() * 5));
    const begin = shape.map((d) => Math.floor(rng.next() * d));
    // Whole axes are common on the hot paths (they make runs contiguous), so a third are whole.
    const size = shape.map((d, axis) => (rng.next() < 0.33 ? d - begin[axis] : Math.floor(rng.next() * (d - begin[axis] + 1))));
    if (rng.next() < 0.2) size[rank - 1] = -1;
    const dtype = dtypes[trial % 3];
    const count = shape.reduce((a, b) => a * b, 1);
    const values = Array.from({ length: count }, (_, i) => (dtype === 'bool' ? (i * 7) % 3 === 0 : (i * 37) % 101) as never);
    const x = tf.tensor(values, shape, dtype);
    const y = tf.slice(x, begin, size);
    const whole = size.map((s, axis) => (s === -1 ? shape[axis] - begin[axis] : s));
    assert.deepEqual(y.shape, whole, `shape of ${JSON.stringify({ shape, begin, size })}`);
    assert.deepEqual(
      Array.from(y.dataSync(), Number),
      hostSlice(Array.from(x.dataSync(), Number), shape, begin, whole),
      JSON.stringify({ shape, begin, size, dtype }),
    );
    tf.dispose([x, y]);
  }
});

test('wasm Slice still slices string tensors (the original kernel)', () => {
  const x = tf.tensor(['a', 'b', 'c', 'd'], [2, 2], 'string');
  const y = tf.slice(x, [1, 0], [1, 2]);
  assert.deepEqual(y.arraySync(), [['c', 'd']]);
  tf.dispose([x, y]);
});

function hostSum(values: ArrayLike<number>, shape: number[], axes: number[]): number[] {
  const strides = shape.map((_, axis) => shape.slice(axis + 1).reduce((a, b) => a * b, 1));
  const keptAxes = shape.map((_, axis) => axis).filter((axis) => !axes.includes(axis));
  const outSize = keptAxes.reduce((n, axis) => n * shape[axis], 1);
  const out = new Array<number>(outSize).fill(0);
  for (let flat = 0; flat < values.length; flat++) {
    let target = 0;
    for (const axis of keptAxes) target = target * shape[axis] + (Math.floor(flat / strides[axis]) % shape[axis]);
    out[target] += values[flat];
  }
  return out;
}

test('wasm Sum equals an element-by-element sum for random shapes, axes and keepDims', () => {
  const rng = new Random(11);
  for (let trial = 0; trial < 300; trial++) {
    const rank = 1 + (trial % 6);
    const shape = Array.from({ length: rank }, () => 1 + Math.floor(rng.next() * 6));
    // Contiguous blocks that leave the last axis out take the matmul path; others fall back.
    const first = Math.floor(rng.next() * rank);
    const last = first + Math.floor(rng.next() * (rank - first));
    const block = Array.from({ length: last - first + 1 }, (_, i) => first + i);
    const axes = rng.next() < 0.2 ? block.filter((_, i) => i % 2 === 0 || rng.next() < 0.5) : block;
    const keepDims = rng.next() < 0.5;
    const dtype = trial % 4 === 3 ? 'int32' : 'float32';
    const count = shape.reduce((a, b) => a * b, 1);
    const values = Array.from({ length: count }, (_, i) => ((i * 37) % 19) - 9);
    const x = tf.tensor(values, shape, dtype);
    const y = tf.sum(x, axes, keepDims);
    const expectedShape = keepDims ? shape.map((d, axis) => (axes.includes(axis) ? 1 : d)) : shape.filter((_, axis) => !axes.includes(axis));
    const context = JSON.stringify({ shape, axes, keepDims, dtype });
    assert.deepEqual(y.shape, expectedShape, context);
    assert.equal(y.dtype, dtype, context);
    assert.deepEqual(Array.from(y.dataSync()), hostSum(values, shape, axes), context);
    tf.dispose([x, y]);
  }
});

function hostMatMul(a: tf.Tensor, b: tf.Tensor, transposeA: boolean, transposeB: boolean): number[] {
  const [av, bv] = [a.dataSync(), b.dataSync()];
  const [ra, ca] = a.shape.slice(-2);
  const [rb, cb] = b.shape.slice(-2);
  const [m, k, n] = [transposeA ? ca : ra, transposeA ? ra : ca, transposeB ? rb : cb];
  const batches = (t: tf.Tensor) => t.shape.slice(0, -2).reduce((x, y) => x * y, 1);
  const batch = Math.max(batches(a), batches(b));
  const out: number[] = [];
  for (let i = 0; i < batch; i++) {
    const ao = batches(a) === 1 ? 0 : i * ra * ca;
    const bo = batches(b) === 1 ? 0 : i * rb * cb;
    for (let r = 0; r < m; r++) {
      for (let c = 0; c < n; c++) {
        let total = 0;
        for (let j = 0; j < k; j++) {
          total += av[ao + (transposeA ? j * ca + r : r * ca + j)] * bv[bo + (transposeB ? c * cb + j : j * cb + c)];
        }
        out.push(total);
      }
    }
  }
  return out;
}

test('wasm BatchMatMul equals a host matmul for batches, transposes and broadcast operands', () => {
  const rng = new Random(13);
  // Big enough for the per-matrix GEMM path (m·k·n ≥ 256K) and small ones for the original.
  // k = 1 makes the explicit transpose a no-op that tfjs answers with the input itself.
  const sizes = [
    [80, 64, 64],
    [5, 8, 3],
    [70, 96, 48],
    [1024, 1, 64],
  ];
  for (let trial = 0; trial < 32; trial++) {
    const [m, k, n] = sizes[trial % sizes.length];
    const transposeA = (trial & 1) === 1;
    const transposeB = (trial & 2) === 2;
    const batch = 1 + (trial % 3);
    const broadcast = trial % 4;
    const [batchA, batchB] = broadcast === 1 ? [1, batch] : broadcast === 2 ? [batch, 1] : [batch, batch];
    const a = tf.randomUniform([batchA, transposeA ? k : m, transposeA ? m : k], -1, 1, 'float32', Math.floor(rng.next() * 1e6));
    const b = tf.randomUniform([batchB, transposeB ? n : k, transposeB ? k : n], -1, 1, 'float32', Math.floor(rng.next() * 1e6));
    const y = tf.matMul(a, b, transposeA, transposeB);
    const context = JSON.stringify({ m, k, n, transposeA, transposeB, batchA, batchB });
    assert.deepEqual(y.shape, [Math.max(batchA, batchB), m, n], context);
    const expected = hostMatMul(a, b, transposeA, transposeB);
    const actual = y.dataSync();
    const worst = expected.reduce((w, e, i) => Math.max(w, Math.abs(e - actual[i])), 0);
    assert.ok(worst < 1e-4 * k, `${context}: max abs error ${worst}`);
    tf.dispose([a, b, y]);
  }
});

test('wasm SplitV (concat\'s gradient) gives the same parts as slicing', () => {
  const x = tf.tensor(Array.from({ length: 2 * 3 * 4 * 5 }, (_, i) => i), [2, 3, 4, 5]);
  for (const [axis, sizes] of [[3, [1, 3, 1]], [1, [2, 1]], [0, [1, 1]], [2, [4]]] as [number, number[]][]) {
    const parts = tf.split(x, sizes, axis);
    let offset = 0;
    for (const part of parts) {
      const begin = [0, 0, 0, 0];
      begin[axis] = offset;
      const size = [...x.shape];
      size[axis] = part.shape[axis];
      assert.deepEqual(part.shape, size);
      assert.deepEqual(Array.from(part.dataSync()), hostSlice(Array.from(x.dataSync()), x.shape, begin, size), `axis ${axis}`);
      offset += part.shape[axis];
    }
    tf.dispose(parts);
  }
  x.dispose();
});
