// The conv encoders' normalisation layers, one per model.norm choice. Each is non-transductive:
// a row's output depends on that row and on its task's support rows, never on other queries.
// - support: batch norm with the support set's moments (the reference's `--bn support`).
// - instance: each example's own moments over its positions (Ulyanov et al. 2016).
// - tasknorm: TaskNorm-I (Bronskill et al., ICML 2020): the support moments blended with the
//   example's instance moments by α = sigmoid(scale·|support| + offset), scale and offset
//   learned per layer. Support moments from one example per class are noisy; the instance
//   moments steady them, and α learns how far to trust each as the support set grows.
// Written in plain differentiable ops, so every choice is exact at any order of differentiation.
import { tf, type Tensor, type Tensor4D } from '../tensor/tf.js';
import { supportMoments } from '../tensor/ops.js';
import type { Norm } from '../config.js';
import type { ParamSpec } from './params.js';

const EPSILON = 1e-5;

/** The layer's parameters: γ and β per channel; TaskNorm adds α's scale and offset. */
export function normParams(prefix: string, channels: number, norm: Norm): ParamSpec[] {
  const affine: ParamSpec[] = [
    { name: `${prefix}.gamma`, shape: [channels], init: 'ones' },
    { name: `${prefix}.beta`, shape: [channels], init: 'zeros' },
  ];
  if (norm !== 'tasknorm') return affine;
  // Zero, as Bronskill et al. initialise them: α starts at 1/2 whatever the support size.
  return [...affine, { name: `${prefix}.alpha.scale`, shape: [1], init: 'zeros' }, { name: `${prefix}.alpha.offset`, shape: [1], init: 'zeros' }];
}

/**
 * Moments over each task's first statRows rows and all positions of x [tasks, rows, positions,
 * C], with their count of rows: [mean, variance, count]. `rowWeights` ([tasks·statRows], 0/1)
 * leaves out rows where this input is missing.
 */
function moments(x: Tensor, statRows: number, rowWeights?: Tensor): Tensor[] {
  const [tasks, rows, positions, c] = x.shape;
  const stats = statRows === rows ? x : tf.slice(x, [0, 0, 0, 0], [tasks, statRows, positions, c]);
  if (rowWeights) {
    const w = tf.reshape(rowWeights, [tasks, statRows, 1, 1]);
    const count = tf.sum(w, 1, true);
    const n = tf.mul(tf.maximum(count, 1), positions);
    const m = tf.div(tf.sum(tf.mul(stats, w), [1, 2], true), n);
    return [m, tf.div(tf.sum(tf.mul(tf.square(tf.sub(stats, m)), w), [1, 2], true), n), count];
  }
  const m = tf.mean(stats, [1, 2], true);
  return [m, tf.mean(tf.square(tf.sub(stats, m)), [1, 2], true), tf.scalar(statRows)];
}

/** Each row's own moments over its positions: [tasks, rows, 1, C] each. */
function instanceMoments(x: Tensor): [Tensor, Tensor] {
  const m = tf.mean(x, 2, true);
  return [m, tf.mean(tf.square(tf.sub(x, m)), 2, true)];
}

/** The moments of the mixture α·(support) + (1 − α)·(instance) (Bronskill et al., eq. 5). */
function blended(support: Tensor[], instance: [Tensor, Tensor], alpha: Tensor): [Tensor, Tensor] {
  const [ms, vs] = support;
  const [mi, vi] = instance;
  const beta = tf.sub(1, alpha);
  const m = tf.add(tf.mul(alpha, ms), tf.mul(beta, mi));
  const spread = (mean: Tensor, variance: Tensor) => tf.add(variance, tf.square(tf.sub(mean, m)));
  return [m, tf.add(tf.mul(alpha, spread(ms, vs)), tf.mul(beta, spread(mi, vi)))];
}

/**
 * Normalises h [tasks·rows, H, W, C] by `norm`, with `p` the layer's normParams (shared, or
 * per task with a leading task axis). Support statistics come from each task's first statRows
 * rows, or, inside SupportMoments.run, from a support set seen before.
 */
export function normalize(norm: Norm, h: Tensor4D, p: readonly Tensor[], tasks: number, statRows: number, rowWeights?: Tensor): Tensor4D {
  const [total, height, width, c] = h.shape;
  const rows = total / tasks;
  // Rank 4 with the positions in one axis: tfjs-webgpu 4.22 cannot pad (slice's gradient) at
  // rank 5 ("cannot index type 'vec5'"), which test/core/webgpu guards.
  const x = tf.reshape(h, [tasks, rows, height * width, c]);
  const perTask = (t: Tensor, channels: number) => tf.reshape(t, [t.rank === 1 ? 1 : tasks, 1, 1, channels]);
  let mean: Tensor;
  let variance: Tensor;
  if (norm === 'instance') [mean, variance] = instanceMoments(x);
  else {
    const support = supportMoments(() => moments(x, statRows, rowWeights));
    if (norm === 'support') [mean, variance] = support;
    else {
      const alpha = tf.sigmoid(tf.add(tf.mul(perTask(p[2], 1), support[2]), perTask(p[3], 1)));
      [mean, variance] = blended(support, instanceMoments(x), alpha);
    }
  }
  // (x - mean)·rsqrt(var + ε)·γ + β, folded into one scale and one shift per channel: two
  // passes over x instead of four, and a backward pass half as long at every order.
  const scale = tf.mul(perTask(p[0], c), tf.rsqrt(tf.add(variance, EPSILON)));
  const shift = tf.sub(perTask(p[1], c), tf.mul(mean, scale));
  return tf.reshape(tf.add(tf.mul(x, scale), shift), [total, height, width, c]);
}
