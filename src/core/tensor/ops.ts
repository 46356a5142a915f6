// Differentiable building blocks that stay exact at any order of differentiation and run on
// every backend (cpu, wasm, webgpu, tensorflow). tfjs's own versions fail in one of two ways:
// - softmaxCrossEntropy / logSoftmax are customGrads whose saved tensors are computed with the
//   tape off, so their second-order terms vanish silently;
// - the native conv2d gradient uses Conv2DBackpropFilter (missing on wasm, and itself without a
//   gradient), and MaxPoolGrad has no gradient either.
import { tf, type Scalar, type Tensor, type Tensor2D, type Tensor4D } from './tf.js';
import { differentiable } from './differentiable.js';

// Convolutions live in their own module; the models import every op from here.
export { convSame, convSamePerTask } from './convolution.js';

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

// A 2×2 max-pool's gradient spreads each output's gradient over its window's maxima (ties
// sharing); the gradient of that spreading sums each window over the same maxima. Both are
// linear in what they spread or sum, with the maxima held constant (their true derivative is
// zero: they are piecewise constant), so they differentiate into each other at any order.
// tfjs's MaxPoolGrad has no gradient of its own, and is 75× slower on wasm than these.
// The maxima are x and its pooled values, saved by the forward pass: the native backend's
// kernels find each window's max as they go (one pass each); elsewhere a mask is made from
// them first (1/ties at a window's max) and spread and summed through with tfjs ops.

/** The native backend's one-pass kernels for the two window operations below. */
export const WINDOW_KERNELS = { spread: 'FewshotMaxPoolSpread', sum: 'FewshotMaxPoolSum' } as const;

/** Where each window's max is: x [B, 2H, 2W, C] and its maxima [B, H, W, C], or the mask made from them. */
type Maxima = { x: Tensor4D; pooled: Tensor4D } | { mask: Tensor4D };

const saved = (at: Maxima): Tensor[] => ('mask' in at ? [at.mask] : [at.x, at.pooled]);
const restored = (tensors: Tensor[]): Maxima =>
  tensors.length === 1 ? { mask: tensors[0] as Tensor4D } : { x: tensors[0] as Tensor4D, pooled: tensors[1] as Tensor4D };

function maxima(x: Tensor4D, pooled: Tensor4D): Maxima {
  return tf.getKernel(WINDOW_KERNELS.spread, tf.getBackend()) ? { x, pooled } : { mask: windowMaxMask(x, pooled) };
}

function spreadOverWindows(dy: Tensor4D, at: Maxima): Tensor4D {
  return differentiable((save, g: Tensor4D) => {
    save(saved(at));
    let value: Tensor4D;
    if ('mask' in at) {
      const [b, h2, w2, c] = g.shape;
      const spread = tf.mul(tf.reshape(g, [b, h2, 1, w2, 1, c]), tf.reshape(at.mask, [b, h2, 2, w2, 2, c]));
      value = tf.reshape(spread, [b, 2 * h2, 2 * w2, c]);
    } else {
      value = tf.engine().runKernel(WINDOW_KERNELS.spread, { dy: g, x: at.x, pooled: at.pooled }) as Tensor4D;
    }
    return { value, gradients: (dg: Tensor4D, kept) => [() => sumOverWindows(dg, restored(kept))] };
  })(dy);
}

function sumOverWindows(x: Tensor4D, at: Maxima): Tensor4D {
  return differentiable((save, g: Tensor4D) => {
    save(saved(at));
    const value =
      'mask' in at
        ? (tf.mul(tf.avgPool(tf.mul(g, at.mask), 2, 2, 'valid'), 4) as Tensor4D)
        : (tf.engine().runKernel(WINDOW_KERNELS.sum, { g, x: at.x, pooled: at.pooled }) as Tensor4D);
    return { value, gradients: (dg: Tensor4D, kept) => [() => spreadOverWindows(dg, restored(kept))] };
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
    // The maxima (or their mask) are found here, not in the forward pass, so inference never
    // pays for them. They reach the spreading only as saved tensors, never as inputs, so a
    // higher-order tape does not differentiate through them.
    gradients: (dy: Tensor4D, [even, pooledValues]) => [
      () => {
        const dx = spreadOverWindows(dy, maxima(even as Tensor4D, pooledValues as Tensor4D));
        return h % 2 || w % 2 ? tf.pad(dx, [[0, 0], [0, h % 2], [0, w % 2], [0, 0]]) : dx;
      },
    ],
  };
});

/** x [tasks·n, d] times a shared [d, h] or per-task [tasks, d, h] weight, plus its bias. */
export function dense(x: Tensor2D, w: Tensor, b: Tensor, tasks: number): Tensor2D {
  if (w.rank === 2) return tf.add(tf.matMul(x, w as Tensor2D), b);
  const [rows, d] = x.shape;
  const h = w.shape[2] as number;
  const out = tf.add(tf.matMul(tf.reshape(x, [tasks, rows / tasks, d]), w), tf.reshape(b, [tasks, 1, h]));
  return tf.reshape(out, [rows, h]);
}

/**
 * The normalisation moments of an adapted task's support set, recorded once and replayed when
 * its queries are scored on their own. A query's normalisation depends on the support set alone,
 * so an adaptation that keeps these need not run its support set through the network again
 * for every prediction (a cached adaptation then costs the queries' forward pass only).
 */
export class SupportMoments {
  private readonly moments: Tensor[][] = [];
  private ran = false;

  /** True once a run has recorded every layer's moments (none, for a network without them). */
  get recorded(): boolean {
    return this.ran;
  }

  /** Runs `f` recording every normalisation layer's support moments (first time) or replaying them (after). */
  run<T>(f: () => T): T {
    const previous = active;
    const replay = this.ran;
    let next = 0;
    active = {
      take: (compute) => {
        if (replay) return this.moments[next++];
        const taken = compute();
        this.moments.push(taken.map((t) => tf.keep(t)));
        return taken;
      },
    };
    try {
      const result = f();
      this.ran = true;
      return result;
    } catch (error) {
      // A recording cut short would replay the wrong layers' moments next time.
      if (!replay) tf.dispose(this.moments.splice(0).flat());
      throw error;
    } finally {
      active = previous;
    }
  }

  dispose(): void {
    tf.dispose(this.moments.splice(0).flat());
  }
}

let active: { take(compute: () => Tensor[]): Tensor[] } | null = null;

/**
 * A normalisation layer's support-set moments: `compute()`, or inside SupportMoments.run the
 * ones recorded from a support set seen before.
 */
export function supportMoments(compute: () => Tensor[]): Tensor[] {
  return active ? active.take(compute) : compute();
}
