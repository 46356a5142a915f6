// Differentiable building blocks that stay exact at any order of differentiation and run on
// every backend (cpu, wasm, webgpu, tensorflow). tfjs's own versions fail in one of two ways:
// - softmaxCrossEntropy / logSoftmax are customGrads whose saved tensors are computed with the
//   tape off, so their second-order terms vanish silently;
// - the native conv2d gradient uses Conv2DBackpropFilter (missing on wasm, and itself without a
//   gradient), and MaxPoolGrad has no gradient either.
import { tf, type Scalar, type Tensor, type Tensor2D, type Tensor4D } from './tf.js';

type GradSave = (tensors: Tensor[]) => void;

// The row max only shifts logits for numerical safety; computing it inside a customGrad keeps
// Max/Equal (which have no second-order gradient) off the tape.
const rowMaxNoGrad = tf.customGrad(((x: Tensor) => ({
  value: tf.max(x, 1, true),
  gradFunc: () => tf.zerosLike(x),
})) as never) as unknown as (x: Tensor) => Tensor;

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

// VALID, stride-1 convolution of an already padded input whose gradients are themselves
// convolutions through this same function, so they can be differentiated again:
//   dW = conv(xᵀ, dyᵀ)   (x as [Ci,H,W,B], dy as [H',W',B,Co]),
//   dx = conv(pad(dy, k-1), flip(W) with in/out swapped).
// Only the forward Conv2D kernel is ever launched, which every backend has.
export function convValid(xp: Tensor4D, w: Tensor4D): Tensor4D {
  const f = tf.customGrad(((x: Tensor4D, filter: Tensor4D, save: GradSave) => {
    save([x, filter]);
    return {
      value: tf.conv2d(x, filter, 1, 'valid'),
      gradFunc: (dy: Tensor4D, saved: Tensor[]) => {
        const [xs, ws] = saved as [Tensor4D, Tensor4D];
        const [kh, kw] = ws.shape;
        const dW = tf.transpose(
          convValid(tf.transpose(xs, [3, 1, 2, 0]), tf.transpose(dy, [1, 2, 0, 3])),
          [1, 2, 0, 3],
        );
        const dyPadded = tf.pad(dy, [
          [0, 0],
          [kh - 1, kh - 1],
          [kw - 1, kw - 1],
          [0, 0],
        ]) as Tensor4D;
        const flipped = tf.transpose(tf.reverse(ws, [0, 1]), [0, 1, 3, 2]) as Tensor4D;
        return [convValid(dyPadded, flipped), dW];
      },
    };
  }) as never) as unknown as (x: Tensor4D, w: Tensor4D) => Tensor4D;
  return f(xp, w);
}

/** 'same'-padded stride-1 convolution with an odd square kernel. */
export function convSame(x: Tensor4D, w: Tensor4D): Tensor4D {
  const p = (w.shape[0] - 1) / 2;
  const q = (w.shape[1] - 1) / 2;
  return convValid(
    tf.pad(x, [
      [0, 0],
      [p, p],
      [q, q],
      [0, 0],
    ]) as Tensor4D,
    w,
  );
}

// Which element of each 2×2 window is the max, with ties sharing the gradient. Behind a
// zero-gradient customGrad because Equal/Max have no gradient of their own; the mask is
// piecewise constant, so its true derivative is zero anyway. Built as 1 + sign(x - max) with
// float ops only: tfjs-webgpu 4.22's cast(bool -> float32) keeps an int buffer and a later
// rank-6 sum silently reads garbage.
const maxPoolMask = tf.customGrad(((x6: Tensor) => ({
  value: tf.tidy(() => {
    const mask = tf.add(1, tf.sign(tf.sub(x6, tf.max(x6, [2, 4], true))));
    return tf.div(mask, tf.sum(mask, [2, 4], true));
  }),
  gradFunc: (dy: Tensor) => tf.zerosLike(dy),
})) as never) as unknown as (x: Tensor) => Tensor;

/** 2×2 max-pool, stride 2 (odd trailing rows/columns dropped), differentiable at any order. */
export function maxPool2(x: Tensor4D): Tensor4D {
  const f = tf.customGrad(((input: Tensor4D, save: GradSave) => {
    save([input]);
    return {
      value: tf.maxPool(input, 2, 2, 'valid'),
      gradFunc: (dy: Tensor4D, saved: Tensor[]) => {
        const xs = saved[0] as Tensor4D;
        const [b, h, w, c] = xs.shape;
        const h2 = Math.floor(h / 2);
        const w2 = Math.floor(w / 2);
        const x6 = tf.reshape(tf.slice(xs, [0, 0, 0, 0], [b, 2 * h2, 2 * w2, c]), [b, h2, 2, w2, 2, c]);
        const spread = tf.mul(tf.reshape(dy, [b, h2, 1, w2, 1, c]), maxPoolMask(x6));
        const dx = tf.reshape(spread, [b, 2 * h2, 2 * w2, c]);
        return h % 2 || w % 2 ? tf.pad(dx, [[0, 0], [0, h % 2], [0, w % 2], [0, 0]]) : dx;
      },
    };
  }) as never) as unknown as (x: Tensor4D) => Tensor4D;
  return f(x);
}

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
