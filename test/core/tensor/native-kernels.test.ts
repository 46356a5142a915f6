// Every kernel the native backend replaces (src/core/tensor/native/) against the wasm backend's
// on random shapes, odd sizes included; the filter gradient, which wasm lacks, against the cpu
// backend's; the native-only kernels against what they replace. Skips where the addon is not
// built (fails instead under FEWSHOT_REQUIRE_NATIVE=1, as in CI).
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import '@tensorflow/tfjs-backend-cpu';
import { Random } from '../../../src/core/random.js';
import { tf, type Tensor } from '../../../src/core/tensor/tf.js';
import { convSame, convSamePerTask, maxPool2 } from '../../../src/core/tensor/ops.js';
import { nativeUnavailable, useTestBackend } from '../../helpers/backend.js';

const skip = await nativeUnavailable();

before(async () => {
  if (!skip) await useTestBackend('wasm');
});

type Op = (...inputs: Tensor[]) => Tensor | Tensor[];

/** Runs `op` on fresh copies of `inputs` on each backend and compares every output. */
async function compare(context: string, inputs: { shape: number[]; values: Float32Array }[], op: Op, reference = 'wasm', tolerance = 1e-5) {
  const run = async (backend: string) => {
    await tf.setBackend(backend);
    const tensors = inputs.map((i) => tf.tensor(i.values, i.shape));
    const result = op(...tensors);
    const outputs = Array.isArray(result) ? result : [result];
    const read = await Promise.all(outputs.map(async (t) => ({ shape: t.shape, values: Float32Array.from(await t.data()) })));
    tf.dispose([...tensors, ...outputs]);
    return read;
  };
  const expected = await run(reference);
  const actual = await run('native');
  assert.equal(actual.length, expected.length, context);
  actual.forEach((a, i) => {
    const e = expected[i];
    assert.deepEqual(a.shape, e.shape, `${context}: shape of output ${i}`);
    const scale = e.values.reduce((m, v) => (Number.isNaN(v) ? m : Math.max(m, Math.abs(v))), 1);
    e.values.forEach((v, j) => {
      const ok = Number.isNaN(v) ? Number.isNaN(a.values[j]) : Math.abs(a.values[j] - v) <= tolerance * scale;
      assert.ok(ok, `${context}: output ${i}[${j}] ${a.values[j]} vs ${v} (${reference})`);
    });
  });
}

function randomInput(rng: Random, shape: number[], spread = 1) {
  const size = shape.reduce((a, b) => a * b, 1);
  return { shape, values: Float32Array.from({ length: size }, () => spread * rng.normal()) };
}

const pick = <T>(rng: Random, items: readonly T[]): T => items[Math.floor(rng.next() * items.length)];
const between = (rng: Random, low: number, high: number) => low + Math.floor(rng.next() * (high - low + 1));

test('Conv2D, its input gradient and its filter gradient: strides, padding, dilations, odd sizes', { skip: skip ?? false }, async () => {
  const rng = new Random(21);
  for (let trial = 0; trial < 40; trial++) {
    const [n, h, w, c, o] = [between(rng, 1, 5), between(rng, 3, 13), between(rng, 3, 11), between(rng, 1, 7), between(rng, 1, 9)];
    const [kh, kw] = [pick(rng, [1, 2, 3, 5]), pick(rng, [1, 3, 4])];
    const stride = pick(rng, [1, 1, 2, 3]);
    const dilation = stride === 1 && trial % 5 === 0 ? 2 : 1;
    const pad = pick(rng, ['same', 'valid'] as const);
    if (pad === 'valid' && (h < (kh - 1) * dilation + 1 || w < (kw - 1) * dilation + 1)) continue;
    const context = JSON.stringify({ n, h, w, c, o, kh, kw, stride, dilation, pad });
    const x = randomInput(rng, [n, h, w, c]);
    const filter = randomInput(rng, [kh, kw, c, o]);
    // tfjs-wasm 4.22 returns zeros for an even-sized filter with 'same' padding and a stride
    // (XNNPACK's asymmetric padding): there the cpu backend is the reference.
    const reference = pad === 'same' && stride > 1 && (kh % 2 === 0 || kw % 2 === 0) ? 'cpu' : 'wasm';
    await compare(`Conv2D ${context}`, [x, filter], (xt, ft) => tf.conv2d(xt as tf.Tensor4D, ft as tf.Tensor4D, stride, pad, 'NHWC', dilation), reference);
    if (dilation !== 1) continue; // tfjs's gradient kernels take no dilation
    const y = tf.tidy(() => tf.conv2d(tf.zeros([n, h, w, c]) as tf.Tensor4D, tf.zeros([kh, kw, c, o]) as tf.Tensor4D, stride, pad));
    const dy = randomInput(rng, y.shape);
    y.dispose();
    await compare(
      `Conv2DBackpropInput ${context}`,
      [dy, filter],
      (dyt, ft) => tf.conv2dTranspose(dyt as tf.Tensor4D, ft as tf.Tensor4D, [n, h, w, c], stride, pad),
      reference,
    );
    // wasm has no Conv2DBackpropFilter: the cpu backend's is the reference.
    await compare(
      `Conv2DBackpropFilter ${context}`,
      [x, dy],
      (xt, dyt) =>
        tf.engine().runKernel('Conv2DBackpropFilter', { x: xt, dy: dyt }, { strides: stride, pad, dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape: [kh, kw, c, o] } as never) as Tensor,
      'cpu',
    );
  }
});

test('per-task convolutions (stacked tasks, one filter each) equal one convolution per task, gradients included', { skip: skip ?? false }, async () => {
  const rng = new Random(22);
  for (const [tasks, n, size, c, o] of [[3, 2, 7, 3, 5], [2, 5, 9, 1, 4], [4, 1, 5, 2, 2]]) {
    const x = randomInput(rng, [tasks * n, size, size, c]);
    const w = randomInput(rng, [tasks, 3, 3, c, o]);
    const r = randomInput(rng, [tasks * n, size, size, o]);
    // value and both gradients of Σ r·conv(x, w), stacked on native against per task on wasm
    const op = (stacked: boolean): Op => (xt, wt, rt) => {
      const f = (xi: Tensor, wi: Tensor) => {
        const y = stacked
          ? convSamePerTask(xi as tf.Tensor4D, wi, tasks)
          : tf.concat(Array.from({ length: tasks }, (_, t) =>
              convSame(tf.slice(xi, [t * n, 0, 0, 0], [n, size, size, c]) as tf.Tensor4D, tf.squeeze(tf.slice(wi, [t, 0, 0, 0, 0], [1, 3, 3, c, o]), [0]) as tf.Tensor4D),
            ));
        return tf.sum(tf.mul(y, rt));
      };
      const { value, grads } = tf.valueAndGrads(f)([xt, wt]);
      return [value, ...grads];
    };
    const context = JSON.stringify({ tasks, n, size, c, o });
    await tf.setBackend('wasm');
    const expected = await Promise.all(
      (op(false)(tf.tensor(x.values, x.shape), tf.tensor(w.values, w.shape), tf.tensor(r.values, r.shape)) as Tensor[]).map(async (t) => {
        const values = Float32Array.from(await t.data());
        t.dispose();
        return values;
      }),
    );
    await tf.setBackend('native');
    const actual = op(true)(tf.tensor(x.values, x.shape), tf.tensor(w.values, w.shape), tf.tensor(r.values, r.shape)) as Tensor[];
    for (let i = 0; i < actual.length; i++) {
      const values = await actual[i].data();
      const scale = expected[i].reduce((m, v) => Math.max(m, Math.abs(v)), 1);
      values.forEach((v, j) => assert.ok(Math.abs(v - expected[i][j]) <= 1e-4 * scale, `${context}: output ${i}[${j}] ${v} vs ${expected[i][j]}`));
    }
    tf.dispose(actual);
  }
});

test('MaxPool and AvgPool: window sizes, strides, padding, odd sizes', { skip: skip ?? false }, async () => {
  const rng = new Random(23);
  for (let trial = 0; trial < 30; trial++) {
    const shape = [between(rng, 1, 4), between(rng, 2, 11), between(rng, 2, 11), between(rng, 1, 6)];
    const size = pick(rng, [1, 2, 3]);
    const stride = pick(rng, [1, 2, 3]);
    const pad = pick(rng, ['same', 'valid'] as const);
    if (pad === 'valid' && (shape[1] < size || shape[2] < size)) continue;
    const context = JSON.stringify({ shape, size, stride, pad });
    const x = randomInput(rng, shape);
    await compare(`MaxPool ${context}`, [x], (t) => tf.maxPool(t as tf.Tensor4D, size, stride, pad));
    await compare(`AvgPool ${context}`, [x], (t) => tf.avgPool(t as tf.Tensor4D, size, stride, pad));
  }
});

test('the 2×2 max-pool gradient (window max mask, window sums) equals the composite one, at second order too', { skip: skip ?? false }, async () => {
  const rng = new Random(24);
  for (const shape of [[2, 6, 6, 3], [3, 7, 5, 2], [1, 4, 9, 5]]) {
    const x = randomInput(rng, shape);
    // Ties: a quarter of the values repeat their window's neighbour.
    for (let i = 1; i < x.values.length; i += 4) if (rng.next() < 0.25) x.values[i] = x.values[i - 1];
    const pooled = [shape[0], Math.floor(shape[1] / 2), Math.floor(shape[2] / 2), shape[3]];
    const r = randomInput(rng, pooled);
    const s = randomInput(rng, shape);
    // first order: d Σ r·pool(x) / dx; second order: d Σ s·(that gradient)... / dx is zero, so
    // differentiate through the spread instead: d Σ s·∂(Σ (r·v)·pool(x))/∂x / dv
    await compare(`maxPool2 gradients ${JSON.stringify(shape)}`, [x, r, s], (xt, rt, st) => {
      const first = tf.grad((xi: Tensor) => tf.sum(tf.mul(maxPool2(xi as tf.Tensor4D), rt)))(xt);
      const second = tf.grad((v: Tensor) => tf.sum(tf.mul(tf.grad((xi: Tensor) => tf.sum(tf.mul(maxPool2(xi as tf.Tensor4D), v)))(xt), st)))(rt);
      return [first, second];
    });
  }
});

test('BatchMatMul: transposes, broadcast batches, odd sizes', { skip: skip ?? false }, async () => {
  const rng = new Random(25);
  for (let trial = 0; trial < 40; trial++) {
    const [m, k, n] = [between(rng, 1, 70), between(rng, 1, 40), between(rng, 1, 33)];
    const transposeA = rng.next() < 0.5;
    const transposeB = rng.next() < 0.5;
    const batch = between(rng, 1, 4);
    const broadcast = trial % 3;
    const [batchA, batchB] = broadcast === 1 ? [1, batch] : broadcast === 2 ? [batch, 1] : [batch, batch];
    const a = randomInput(rng, [batchA, transposeA ? k : m, transposeA ? m : k]);
    const b = randomInput(rng, [batchB, transposeB ? n : k, transposeB ? k : n]);
    await compare(`BatchMatMul ${JSON.stringify({ m, k, n, transposeA, transposeB, batchA, batchB })}`, [a, b], (at, bt) => tf.matMul(at, bt, transposeA, transposeB));
  }
  // 2-D operands, and a product big enough to be split between threads by rows
  await compare('matMul 2-D', [randomInput(rng, [300, 70]), randomInput(rng, [70, 90])], (at, bt) => tf.matMul(at, bt));
  await compare('matMul 2-D transposed', [randomInput(rng, [70, 301]), randomInput(rng, [90, 70])], (at, bt) => tf.matMul(at, bt, true, true));
});

const BINARY: [string, (a: Tensor, b: Tensor) => Tensor][] = [
  ['add', tf.add], ['sub', tf.sub], ['mul', tf.mul], ['div', tf.div],
  ['maximum', tf.maximum], ['minimum', tf.minimum], ['squaredDifference', tf.squaredDifference], ['pow', tf.pow],
];

/** A random shape and a shape that broadcasts against it (1s, fewer axes, or the same). */
function broadcastPair(rng: Random): [number[], number[]] {
  const rank = between(rng, 1, 5);
  const shape = Array.from({ length: rank }, () => between(rng, 1, 9));
  const other = shape.map((d) => (rng.next() < 0.4 ? 1 : d)).slice(between(rng, 0, rank - 1));
  return rng.next() < 0.5 ? [shape, other] : [other, shape];
}

test('binary ops with broadcasting in either direction', { skip: skip ?? false }, async () => {
  const rng = new Random(26);
  for (const [name, op] of BINARY) {
    for (let trial = 0; trial < 12; trial++) {
      const [sa, sb] = broadcastPair(rng);
      const a = randomInput(rng, sa);
      const b = randomInput(rng, sb);
      if (name === 'pow') a.values.forEach((v, i) => (a.values[i] = Math.abs(v) + 0.1));
      if (name === 'maximum' && trial === 0) a.values[0] = NaN;
      await compare(`${name} ${JSON.stringify([sa, sb])}`, [a, b], op, 'wasm', name === 'pow' ? 1e-4 : 1e-6);
    }
  }
  // Big enough to be split between threads.
  await compare('mul [80,28,28,64]·[64]', [randomInput(rng, [80, 28, 28, 64]), randomInput(rng, [64])], tf.mul);
  await compare('sub [1]·[5,7,9,11] big', [randomInput(rng, [1]), randomInput(rng, [50, 70, 9, 11])], tf.sub);
});

test('unary ops, NaN included', { skip: skip ?? false }, async () => {
  const rng = new Random(27);
  const ops: [string, (x: Tensor) => Tensor, (v: number) => number][] = [
    ['relu', tf.relu, (v) => v], ['step', (x) => tf.step(x, 0.25), (v) => v], ['neg', tf.neg, (v) => v], ['square', tf.square, (v) => v],
    ['sqrt', tf.sqrt, Math.abs], ['rsqrt', tf.rsqrt, (v) => Math.abs(v) + 0.01], ['exp', tf.exp, (v) => v], ['log', tf.log, (v) => Math.abs(v) + 0.01],
    ['abs', tf.abs, (v) => v], ['sigmoid', tf.sigmoid, (v) => v], ['tanh', tf.tanh, (v) => v],
  ];
  for (const [name, op, domain] of ops) {
    for (const shape of [[1], [7, 3], [3, 5, 7, 11], [40, 30, 31]]) {
      const x = randomInput(rng, shape, 3);
      x.values.forEach((v, i) => (x.values[i] = domain(v)));
      if (x.values.length > 2) x.values[1] = NaN;
      await compare(`${name} ${JSON.stringify(shape)}`, [x], op, 'wasm', 1e-6);
    }
  }
});

test('Sum and Mean over random axes, adjacent or not, with and without keepDims', { skip: skip ?? false }, async () => {
  const rng = new Random(28);
  for (let trial = 0; trial < 40; trial++) {
    const rank = between(rng, 1, 5);
    const shape = Array.from({ length: rank }, () => between(rng, 1, 9));
    const axes = shape.map((_, axis) => axis).filter(() => rng.next() < 0.5);
    const keepDims = rng.next() < 0.5;
    const x = randomInput(rng, shape);
    const context = JSON.stringify({ shape, axes, keepDims });
    await compare(`sum ${context}`, [x], (t) => tf.sum(t, axes.length ? axes : undefined, keepDims));
    await compare(`mean ${context}`, [x], (t) => tf.mean(t, axes.length ? axes : undefined, keepDims));
  }
  // Few outputs over many rows (batch norm's statistics): the rows are split between threads.
  await compare('sum [1,62720,64] over rows', [randomInput(rng, [1, 62720, 64])], (t) => tf.sum(t, 1), 'wasm', 1e-5);
  await compare('mean [5,784,64] over [0,1]', [randomInput(rng, [5, 784, 64])], (t) => tf.mean(t, [0, 1], true), 'wasm', 1e-5);
});

test('Transpose, Slice and PadV2 on random shapes', { skip: skip ?? false }, async () => {
  const rng = new Random(29);
  for (let trial = 0; trial < 30; trial++) {
    const rank = between(rng, 1, 6);
    const shape = Array.from({ length: rank }, () => between(rng, 1, 7));
    const x = randomInput(rng, shape);
    const perm = shape.map((_, i) => i).sort(() => rng.next() - 0.5);
    const begin = shape.map((d) => between(rng, 0, d - 1));
    const size = shape.map((d, i) => between(rng, 0, d - begin[i]));
    const paddings = shape.map(() => [between(rng, 0, 2), between(rng, 0, 2)] as [number, number]);
    const context = JSON.stringify({ shape, perm, begin, size, paddings });
    await compare(`transpose ${context}`, [x], (t) => tf.transpose(t, perm));
    await compare(`slice ${context}`, [x], (t) => tf.slice(t, begin, size));
    await compare(`pad ${context}`, [x], (t) => tf.pad(t, paddings, 0.5));
  }
});
