// Second-order MAML must be exactly second order: its meta-gradient matches central finite
// differences of the meta-loss, and differs clearly from the first-order one. Run on the cpu
// and wasm backends, and native where it is built, for an MLP, a (small) conv4 with batch norm,
// the 1-D convolutional strokes encoder, and text, vector and strokes fused with rows missing
// some of them (masked fusion and masked batch norm; an image branch adds max-pool switches, at
// which the meta-loss jumps and finite differences mean nothing, so conv4 is checked on its own);
// the convolutional encoders under each normalisation choice (TaskNorm's α included).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { tf, type Tensor } from '../../../src/core/tensor/tf.js';
import { crossEntropy } from '../../../src/core/tensor/ops.js';
import { buildNetwork } from '../../../src/core/models/network.js';
import { maml } from '../../../src/core/learners/maml.js';
import { sgdSteps, taskLogits } from '../../../src/core/learners/fast-weights.js';
import { disposeTaskTensors, queryPart, toTaskTensors } from '../../../src/core/learners/task.js';
import { Random } from '../../../src/core/random.js';
import type { InputSpec } from '../../../src/core/data/types.js';
import type { Norm } from '../../../src/core/config.js';
import { randomEpisode } from '../../helpers/random-episode.js';
import { checkGradient } from '../../helpers/gradcheck.js';
import { nativeUnavailable } from '../../helpers/backend.js';

const CASES: { name: string; spec: InputSpec; filters: number; hidden: number[]; steps: number; missing?: number; norm?: Norm; tolerance?: number }[] = [
  { name: 'mlp', spec: { vector: { dim: 12 } }, filters: 4, hidden: [16, 8], steps: 2 },
  { name: 'conv4', spec: { image: { height: 16, width: 16, channels: 1 } }, filters: 3, hidden: [], steps: 1 },
  // One inner step for the convolutional encoders: after two, ReLU kinks sit closer than the
  // finite differences' smallest step (1e-3) in some directions, and no step size is right.
  { name: 'strokes conv1d', spec: { strokes: { points: 16 } }, filters: 3, hidden: [], steps: 1 },
  {
    name: 'text + vector + strokes fused, rows missing modalities',
    spec: { text: { features: 6 }, vector: { dim: 4 }, strokes: { points: 8 } },
    filters: 2,
    hidden: [6],
    steps: 1,
    missing: 0.3,
  },
  { name: 'conv4, tasknorm', spec: { image: { height: 16, width: 16, channels: 1 } }, filters: 3, hidden: [], steps: 1, norm: 'tasknorm' },
  { name: 'conv4, instance norm', spec: { image: { height: 16, width: 16, channels: 1 } }, filters: 3, hidden: [], steps: 1, norm: 'instance' },
  { name: 'strokes conv1d, tasknorm', spec: { strokes: { points: 16 } }, filters: 3, hidden: [], steps: 1, norm: 'tasknorm' },
  // Wider and longer than the case above, and a looser bound: an example's own moments over a
  // few positions of few channels come near zero variance for some rows, where normalising is
  // steep enough that float32 finite differences land 0.5–1.4% off (first order: over 100%).
  {
    name: 'text + vector + strokes fused, rows missing modalities, tasknorm',
    spec: { text: { features: 6 }, vector: { dim: 4 }, strokes: { points: 16 } },
    filters: 3,
    hidden: [6],
    steps: 1,
    missing: 0.3,
    norm: 'tasknorm',
    tolerance: 2e-2,
  },
];

const BACKENDS = ['cpu', 'wasm', ...((await nativeUnavailable()) === null ? ['native'] : [])];

for (const backend of BACKENDS) {
  for (const c of CASES) {
    test(`second-order MAML meta-gradient matches finite differences: ${c.name} on ${backend}`, async (t) => {
      await tf.setBackend(backend);
      const before = tf.memory().numTensors;
      const network = buildNetwork(c.spec, { filters: c.filters, hidden: c.hidden, fusionDim: 8, norm: c.norm }, 3);
      const inner = { steps: c.steps, lr: 0.3 };
      const params = network.init(new Random(3));
      const task = toTaskTensors(randomEpisode(c.spec, { ways: 3, shots: 1, queries: 2 }, 11, c.missing));
      const metaLoss = async (weights: Tensor[]) => {
        const loss = tf.tidy(() => {
          const fast = sgdSteps(network, weights, task.support, task.supportTargets, inner.steps, inner.lr);
          const scores = queryPart(taskLogits(network, fast, task.all, task.supportRows, task.ways), 1, task.supportRows);
          return crossEntropy(scores, task.queryTargets);
        });
        const value = (await loss.data())[0];
        loss.dispose();
        return value;
      };
      const second = maml(network, inner, false).metaGradient(params, task);
      const first = maml(network, inner, true).metaGradient(params, task);
      const soCheck = await checkGradient(metaLoss, params, second.grads);
      const foCheck = await checkGradient(metaLoss, params, first.grads);
      t.diagnostic(`max relative error vs FD: second order ${soCheck.maxRelativeError.toExponential(2)}, first order ${foCheck.maxRelativeError.toExponential(2)} (${soCheck.checked} checks)`);
      assert.ok(soCheck.maxRelativeError <= (c.tolerance ?? 1e-2), `second order: max relative error ${soCheck.maxRelativeError}`);
      assert.ok(foCheck.maxRelativeError > 0.1, `first order should differ: ${foCheck.maxRelativeError}`);
      assert.ok(Math.abs((await second.loss.data())[0] - (await metaLoss(params))) < 1e-5);
      tf.dispose([...params, ...second.grads, ...first.grads, second.loss, second.predicted, first.loss, first.predicted]);
      disposeTaskTensors(task);
      assert.equal(tf.memory().numTensors, before);
    });
  }
}
