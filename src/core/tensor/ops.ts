// Differentiable building blocks that stay exact at any order of differentiation and run on
// every backend (cpu, wasm, webgpu, tensorflow). tfjs's own versions fail in one of two ways:
// - softmaxCrossEntropy / logSoftmax are customGrads whose saved tensors are computed with the
//   tape off, so their second-order terms vanish silently;
// - the native conv2d gradient uses Conv2DBackpropFilter (missing on wasm, and itself without a
//   gradient), and MaxPoolGrad has no gradient either.
import { tf, type Scalar, type Tensor, type Tensor2D, type Tensor4D } from './tf.js';
import { differentiable } from './differentiable.js';

// The row max only shifts logits for numerical safety; computing it inside a custom gradient keeps
// Max/Equal (which have no second-order gradient) off the tape.
const rowMaxNoGrad = differentiable((_save, x: Tensor) => ({
  value: tf.max(x, 1, true),
  gradients: () => [() => tf.zerosLike(x)],
}));

/** log softmax over the last axis of [n, k] logits, written out so every path stays on the tape. */
export function logSoftmax(logits: Tensor2D): Tensor2D {
  const z = tf.sub(logits, rowMaxNoGrad(logits));
  return tf.sub(z, tf.log(tf.sum(tf.exp(z), 1, true))) as Tensor2D;
}

/** Mean softmax cross-entropy of [n, k] logits against one-hot [n, k] targets. */
export function crossEntropy(logits: Tensor2D, oneHot: Tensor2D): Scalar {
  return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, logSoftmax(logits)), 1))) as Scalar;
}

/** One-hot float32 targets, built on the host (see maxPoolMask for why casts are avoided). */
export function oneHot(labels: Int32Array, ways: number): Tensor2D {
  const values = new Float32Array(labels.length * ways);
  labels.forEach((label, row) => (values[row * ways + label] = 1));
  return tf.tensor2d(values, [labels.length, ways]);
}

// Stride-1 convolution as a closed family of three bilinear maps, each of whose gradients is
// made of the others, so they can be differentiated to any order (tfjs's own conv gradient
// ends in kernels without gradients of their own):
//   conv(x, w)   = Σ_uvc w[u,v,c,o]·x[b,i+u,j+v,c]
//   data(g, w)   = Σ_uvo w[u,v,c,o]·g[b,i-u,j-v,o]   (conv's gradient for x)
//   filter(x, g) = Σ_bij x[b,i+u,j+v,c]·g[b,i,j,o]   (conv's gradient for w)
// whose gradients for an upstream G are
//   conv → (data(G, w), filter(x, G));  data → (conv(G, w), filter(G, g));  filter → (data(g, G), conv(x, G)).
// Two forms of the same family:
// - 'same' padding, each map one kernel (Conv2D, Conv2DBackpropInput, Conv2DBackpropFilter),
//   where the backend has all three natively (native: one oneDNN primitive each; cpu);
// - 'valid' on an input padded beforehand, from the forward Conv2D alone, elsewhere: wasm lacks
//   Conv2DBackpropFilter and runs its Conv2DBackpropInput as a naive loop. There data is a
//   convolution with the flipped, transposed filter over a (k-1)-padded g, and filter a
//   convolution of xᵀ with gᵀ. Writing filter's gradients out matters: left to autodiff they
//   become convolutions with image-sized kernels over zero-padded inputs (20× the work).

type Bilinear = (a: Tensor4D, b: Tensor4D) => Tensor4D;

interface ConvFamily {
  conv: Bilinear;
  data: Bilinear;
  filter: Bilinear;
}

/** The family's differentiable maps, from how each is computed forward. */
function closedFamily(forward: ConvFamily): ConvFamily {
  const family: ConvFamily = {
    conv: differentiable((save, x: Tensor4D, w: Tensor4D) => {
      save([x, w]);
      return {
        value: forward.conv(x, w),
        gradients: (dy: Tensor4D, [xs, ws]) => [() => family.data(dy, ws as Tensor4D), () => family.filter(xs as Tensor4D, dy)],
      };
    }),
    data: differentiable((save, g: Tensor4D, w: Tensor4D) => {
      save([g, w]);
      return {
        value: forward.data(g, w),
        gradients: (dy: Tensor4D, [gs, ws]) => [() => family.conv(dy, ws as Tensor4D), () => family.filter(dy, gs as Tensor4D)],
      };
    }),
    filter: differentiable((save, x: Tensor4D, g: Tensor4D) => {
      save([x, g]);
      return {
        value: forward.filter(x, g),
        gradients: (dy: Tensor4D, [xs, gs]) => [() => family.data(gs as Tensor4D, dy), () => family.conv(xs as Tensor4D, dy)],
      };
    }),
  };
  return family;
}

// A filter rotated by 180°, as a permutation matmul: wasm's Reverse kernel takes 4 ms on a
// 3×3×64×64 filter, 50× this.
function flipSpatially(w: Tensor4D): Tensor4D {
  const [kh, kw, ci, co] = w.shape;
  const taps = kh * kw;
  const antiIdentity = new Float32Array(taps * taps);
  for (let i = 0; i < taps; i++) antiIdentity[i * taps + taps - 1 - i] = 1;
  const flipped = tf.matMul(tf.tensor2d(antiIdentity, [taps, taps]), tf.reshape(w, [taps, ci * co]));
  return tf.reshape(flipped, [kh, kw, ci, co]);
}

const validFamily = closedFamily({
  conv: (x, w) => tf.conv2d(x, w, 1, 'valid'),
  data: (g, w) => {
    const [kh, kw] = w.shape;
    const padded = tf.pad(g, [
      [0, 0],
      [kh - 1, kh - 1],
      [kw - 1, kw - 1],
      [0, 0],
    ]) as Tensor4D;
    return tf.conv2d(padded, tf.transpose(flipSpatially(w), [0, 1, 3, 2]) as Tensor4D, 1, 'valid');
  },
  filter: (x, g) =>
    tf.transpose(
      tf.conv2d(tf.transpose(x, [3, 1, 2, 0]) as Tensor4D, tf.transpose(g, [1, 2, 0, 3]) as Tensor4D, 1, 'valid'),
      [1, 2, 0, 3],
    ) as Tensor4D,
});

/** The 'same' form for a kh×kw filter (its size cannot be read off x and g as in 'valid'). */
function sameFamily(kh: number, kw: number): ConvFamily {
  const key = `${kh}x${kw}`;
  let family = sameFamilies.get(key);
  if (!family) {
    const attrs = { strides: 1, pad: 'same', dataFormat: 'NHWC', dimRoundingMode: undefined };
    const run = (name: string, inputs: Record<string, Tensor>, extra: Record<string, unknown>) =>
      tf.engine().runKernel(name, inputs as tf.NamedTensorMap, { ...attrs, ...extra } as unknown as tf.NamedAttrMap) as Tensor4D;
    family = closedFamily({
      conv: (x, w) => tf.conv2d(x, w, 1, 'same'),
      data: (g, w) => run('Conv2DBackpropInput', { dy: g, filter: w }, { inputShape: [...g.shape.slice(0, 3), w.shape[2]] }),
      filter: (x, g) => run('Conv2DBackpropFilter', { x, dy: g }, { filterShape: [kh, kw, x.shape[3], g.shape[3]] }),
    });
    sameFamilies.set(key, family);
  }
  return family;
}
const sameFamilies = new Map<string, ConvFamily>();

/** Backends whose three convolution kernels are all native (see above). */
const SAME_FORM_BACKENDS = new Set(['native', 'cpu']);

/** 'same'-padded stride-1 convolution with an odd square kernel, differentiable at any order. */
export function convSame(x: Tensor4D, w: Tensor4D): Tensor4D {
  const [kh, kw] = w.shape;
  if (SAME_FORM_BACKENDS.has(tf.getBackend())) return sameFamily(kh, kw).conv(x, w);
  const p = (kh - 1) / 2;
  const q = (kw - 1) / 2;
  return validFamily.conv(
    tf.pad(x, [
      [0, 0],
      [p, p],
      [q, q],
      [0, 0],
    ]) as Tensor4D,
    w,
  );
}

// A 2×2 max-pool's gradient spreads each output's gradient over its window through a fixed
// mask (1 at the window's max, ties sharing); the gradient of that spreading sums each window
// through the same mask. Both are linear with the mask held constant (its true derivative is
// zero: it is piecewise constant), so they differentiate into each other at any order. tfjs's
// MaxPoolGrad has no gradient of its own, and is 75× slower on wasm than these.
function spreadOverWindows(dy: Tensor4D, mask: Tensor4D): Tensor4D {
  return differentiable((save, g: Tensor4D) => {
    save([mask]);
    const [b, h2, w2, c] = g.shape;
    const spread = tf.mul(tf.reshape(g, [b, h2, 1, w2, 1, c]), tf.reshape(mask, [b, h2, 2, w2, 2, c]));
    return {
      value: tf.reshape(spread, [b, 2 * h2, 2 * w2, c]) as Tensor4D,
      gradients: (dg: Tensor4D, [m]) => [() => sumOverWindows(dg, m as Tensor4D)],
    };
  })(dy);
}

function sumOverWindows(x: Tensor4D, mask: Tensor4D): Tensor4D {
  return differentiable((save, g: Tensor4D) => {
    save([mask]);
    return {
      value: tf.mul(tf.avgPool(tf.mul(g, mask), 2, 2, 'valid'), 4) as Tensor4D,
      gradients: (dg: Tensor4D, [m]) => [() => spreadOverWindows(dg, m as Tensor4D)],
    };
  })(x);
}

// 1 - step(max - x) is 1 exactly at a window's max: float ops only, since tfjs-webgpu 4.22's
// cast(bool -> float32) keeps an int buffer and a later rank-6 op silently reads garbage (and
// Sign, Equal and Max over rank 6 are 20-600× slower than step on wasm).
function windowMaxMask(x: Tensor4D, pooled: Tensor4D): Tensor4D {
  const [b, h2, w2, c] = pooled.shape;
  const x6 = tf.reshape(x, [b, h2, 2, w2, 2, c]);
  const atMax = tf.reshape(tf.sub(1, tf.step(tf.sub(tf.reshape(pooled, [b, h2, 1, w2, 1, c]), x6))), [b, 2 * h2, 2 * w2, c]);
  const ties = tf.mul(tf.avgPool(atMax as Tensor4D, 2, 2, 'valid'), 4);
  const shared = tf.div(tf.reshape(atMax, [b, h2, 2, w2, 2, c]), tf.reshape(ties, [b, h2, 1, w2, 1, c]));
  return tf.reshape(shared, [b, 2 * h2, 2 * w2, c]);
}

/** 2×2 max-pool, stride 2 (odd trailing rows/columns dropped), differentiable at any order. */
export const maxPool2 = differentiable((save, input: Tensor4D) => {
  const [b, h, w, c] = input.shape;
  const pooled = tf.maxPool(input, 2, 2, 'valid');
  save([h % 2 || w % 2 ? tf.slice(input, [0, 0, 0, 0], [b, h - (h % 2), w - (w % 2), c]) : input, pooled]);
  return {
    value: pooled,
    // The mask is made here, not in the forward pass, so inference never pays for it. It
    // reaches the spreading only as a saved tensor, never as an input, so a higher-order
    // tape does not differentiate through it.
    gradients: (dy: Tensor4D, [even, maxima]) => [
      () => {
        const dx = spreadOverWindows(dy, windowMaxMask(even as Tensor4D, maxima as Tensor4D));
        return h % 2 || w % 2 ? tf.pad(dx, [[0, 0], [0, h % 2], [0, w % 2], [0, 0]]) : dx;
      },
    ],
  };
});

/**
 * 3×3 'same' convolution of stacked tasks, each with its own filter: x [tasks·n, H, W, C],
 * w [tasks, 3, 3, C, F]. tfjs has no grouped convolution, so each task's convolution is an
 * im2col (nine shifted slices) times its filter as a batched matmul. Slices, concat and
 * matmul all have gradients that are themselves differentiable, so this stays exact at
 * any order without a custom gradient.
 */
export function convSamePerTask(x: Tensor4D, w: Tensor, tasks: number): Tensor4D {
  const [rows, height, width, channels] = x.shape;
  const [, kh, kw, , filters] = w.shape as [number, number, number, number, number];
  const padded = tf.pad(x, [
    [0, 0],
    [(kh - 1) / 2, (kh - 1) / 2],
    [(kw - 1) / 2, (kw - 1) / 2],
    [0, 0],
  ]);
  const shifted: Tensor[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) shifted.push(tf.slice(padded, [0, i, j, 0], [rows, height, width, channels]));
  }
  const columns = tf.reshape(tf.concat(shifted, 3), [tasks, (rows / tasks) * height * width, kh * kw * channels]);
  const out = tf.matMul(columns, tf.reshape(w, [tasks, kh * kw * channels, filters]));
  return tf.reshape(out, [rows, height, width, filters]);
}

/** x [tasks·n, d] times a shared [d, h] or per-task [tasks, d, h] weight, plus its bias. */
export function dense(x: Tensor2D, w: Tensor, b: Tensor, tasks: number): Tensor2D {
  if (w.rank === 2) return tf.add(tf.matMul(x, w as Tensor2D), b);
  const [rows, d] = x.shape;
  const h = w.shape[2] as number;
  const out = tf.add(tf.matMul(tf.reshape(x, [tasks, rows / tasks, d]), w), tf.reshape(b, [tasks, 1, h]));
  return tf.reshape(out, [rows, h]);
}

/**
 * Batch norm whose statistics come from the first `statRows` rows of each task (the examples
 * being adapted on), so a query row's output never depends on the other queries beside it.
 * `rowWeights` ([tasks·statRows], 0/1) leaves out rows where this input is missing. gamma and
 * beta are shared [C] or per task [tasks, C].
 */
export function batchNorm(
  h: Tensor4D,
  gamma: Tensor,
  beta: Tensor,
  tasks: number,
  statRows: number,
  rowWeights?: Tensor,
): Tensor4D {
  const [total, height, width, c] = h.shape;
  const rows = total / tasks;
  // Rank 4 with the pixels in one axis: tfjs-webgpu 4.22 cannot pad (slice's gradient) at
  // rank 5 ("cannot index type 'vec5'"), which test/core/webgpu guards.
  const x = tf.reshape(h, [tasks, rows, height * width, c]);
  const stats = statRows === rows ? x : tf.slice(x, [0, 0, 0, 0], [tasks, statRows, height * width, c]);
  let mean: Tensor;
  let variance: Tensor;
  if (rowWeights) {
    const w = tf.reshape(rowWeights, [tasks, statRows, 1, 1]);
    const count = tf.mul(tf.maximum(tf.sum(w, 1, true), 1), height * width);
    mean = tf.div(tf.sum(tf.mul(stats, w), [1, 2], true), count);
    variance = tf.div(tf.sum(tf.mul(tf.square(tf.sub(stats, mean)), w), [1, 2], true), count);
  } else {
    mean = tf.mean(stats, [1, 2], true);
    variance = tf.mean(tf.square(tf.sub(stats, mean)), [1, 2], true);
  }
  const affine = (p: Tensor) => tf.reshape(p, [p.rank === 1 ? 1 : tasks, 1, 1, c]);
  const normalised = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5)));
  return tf.reshape(tf.add(tf.mul(normalised, affine(gamma)), affine(beta)), [total, height, width, c]);
}
