// Central finite differences against an analytic gradient, in float32.
import { tf, type Tensor } from '../../src/core/tensor/tf.js';
import { Random } from '../../src/core/random.js';

export interface GradCheck {
  /** Largest relative error over the checked coordinates and directions. */
  maxRelativeError: number;
  checked: number;
}

const EPSILONS = [1e-2, 3e-3, 1e-3, 3e-4];

/**
 * Checks `grads` of `loss` at `params` on the largest-|g| entry of every tensor, one random entry
 * of every tensor and two random directions. Relative error uses a floor of 1% of the largest
 * |g| so that near-zero entries (pure float32 noise) cannot dominate. ReLU and max-pool kinks
 * make one epsilon wrong where another is right, so each check keeps its best epsilon.
 */
export async function checkGradient(
  loss: (params: Tensor[]) => Promise<number>,
  params: Tensor[],
  grads: Tensor[],
  seed = 7,
): Promise<GradCheck> {
  const rng = new Random(seed);
  const read = (tensors: Tensor[]) => Promise.all(tensors.map(async (t) => Float32Array.from(await t.data())));
  const values = await read(params);
  const g = await read(grads);
  const gMax = Math.max(...g.map((a) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0)));
  const floor = 0.01 * gMax;
  const lossWith = async (direction: Float32Array[], eps: number) => {
    const shifted = values.map((v, i) => tf.tensor(v.map((x, j) => x + eps * direction[i][j]), params[i].shape));
    try {
      return await loss(shifted);
    } finally {
      tf.dispose(shifted);
    }
  };
  const directions: Float32Array[][] = [];
  for (let i = 0; i < values.length; i++) {
    const largest = g[i].reduce((best, v, j) => (Math.abs(v) > Math.abs(g[i][best]) ? j : best), 0);
    for (const j of [largest, rng.int(values[i].length)]) {
      const d = values.map((v) => new Float32Array(v.length));
      d[i][j] = 1;
      directions.push(d);
    }
  }
  for (let k = 0; k < 2; k++) {
    const d = values.map((v) => Float32Array.from({ length: v.length }, () => rng.normal()));
    const norm = Math.sqrt(d.reduce((s, a) => s + a.reduce((t, x) => t + x * x, 0), 0));
    directions.push(d.map((a) => a.map((x) => x / norm)));
  }
  let maxRelativeError = 0;
  for (const d of directions) {
    const analytic = d.reduce((s, a, i) => s + a.reduce((t, x, j) => t + x * g[i][j], 0), 0);
    let best = Infinity;
    for (const eps of EPSILONS) {
      const numeric = ((await lossWith(d, eps)) - (await lossWith(d, -eps))) / (2 * eps);
      best = Math.min(best, Math.abs(analytic - numeric) / Math.max(Math.abs(analytic), Math.abs(numeric), floor));
    }
    maxRelativeError = Math.max(maxRelativeError, best);
  }
  return { maxRelativeError, checked: directions.length };
}
