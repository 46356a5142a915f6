// TaskNorm-I is a blend of two normalisations: with α pinned at 1 (a large offset) it is batch
// norm with the support set's moments, at 0 it is instance norm; in between, its moments are
// those of the mixture of the two distributions (Bronskill et al. 2020, eq. 5).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, type Tensor, type Tensor4D } from '../../../src/core/tensor/tf.js';
import { normalize } from '../../../src/core/models/normalization.js';
import { Random } from '../../../src/core/random.js';
import { TEST_BACKENDS, useTestBackend } from '../../helpers/backend.js';

const [TASKS, ROWS, SUPPORT, H, W, C] = [2, 5, 3, 3, 4, 2];

function input(seed: number): Tensor4D {
  const rng = new Random(seed);
  return tf.tensor4d(Float32Array.from({ length: TASKS * ROWS * H * W * C }, () => 2 * rng.normal() + 1), [TASKS * ROWS, H, W, C]);
}

const affine = () => [tf.tensor1d([1.5, 0.5]), tf.tensor1d([0.2, -0.3])];
const alpha = (scale: number, offset: number) => [tf.tensor1d([scale]), tf.tensor1d([offset])];

async function close(a: Tensor, b: Tensor, tolerance: number, what: string) {
  const [x, y] = [await a.data(), await b.data()];
  x.forEach((v, i) => assert.ok(Math.abs(v - y[i]) <= tolerance, `${what}[${i}]: ${v} vs ${y[i]}`));
}

for (const backend of TEST_BACKENDS) {
  test(`TaskNorm with α at 1 is support-set batch norm, at 0 instance norm, and in between their mixture's moments (${backend})`, async () => {
    await useTestBackend(backend);
    const before = tf.memory().numTensors;
    const x = input(4);
    const [gamma, beta] = affine();
    const run = (norm: 'tasknorm' | 'support' | 'instance', extra: Tensor[] = []) => normalize(norm, x, [gamma, beta, ...extra], TASKS, SUPPORT);
    const results = tf.tidy(() => {
      const one = alpha(0, 30);
      const zero = alpha(0, -30);
      // α = sigmoid(0.5·3 − 1.5) = 1/2 for the 3 support rows.
      const half = alpha(0.5, -1.5);
      return [run('tasknorm', one), run('support'), run('tasknorm', zero), run('instance'), run('tasknorm', half)];
    });
    const [atOne, support, atZero, instance, atHalf] = results;
    await close(atOne, support, 1e-4, 'α=1 vs support');
    await close(atZero, instance, 1e-4, 'α=0 vs instance');
    // The mixture's moments, written out per row on the host.
    const xs = await x.data();
    const expected = new Float32Array(xs.length);
    const g = [1.5, 0.5];
    const b = [0.2, -0.3];
    const at = (t: number, r: number, p: number, c: number) => xs[((t * ROWS + r) * H * W + p) * C + c];
    for (let t = 0; t < TASKS; t++) {
      for (let c = 0; c < C; c++) {
        const supportValues = Array.from({ length: SUPPORT * H * W }, (_, k) => at(t, Math.floor(k / (H * W)), k % (H * W), c));
        const ms = supportValues.reduce((s, v) => s + v, 0) / supportValues.length;
        const vs = supportValues.reduce((s, v) => s + (v - ms) ** 2, 0) / supportValues.length;
        for (let r = 0; r < ROWS; r++) {
          const own = Array.from({ length: H * W }, (_, p) => at(t, r, p, c));
          const mi = own.reduce((s, v) => s + v, 0) / own.length;
          const vi = own.reduce((s, v) => s + (v - mi) ** 2, 0) / own.length;
          const m = (ms + mi) / 2;
          const v = (vs + (ms - m) ** 2 + vi + (mi - m) ** 2) / 2;
          for (let p = 0; p < H * W; p++) expected[((t * ROWS + r) * H * W + p) * C + c] = ((at(t, r, p, c) - m) / Math.sqrt(v + 1e-5)) * g[c] + b[c];
        }
      }
    }
    const reference = tf.tensor4d(expected, x.shape);
    await close(atHalf, reference, 1e-4, 'α=1/2 vs the mixture');
    tf.dispose([...results, reference, x, gamma, beta]);
    assert.equal(tf.memory().numTensors, before);
  });
}
