// Meta-SGD and ANIL: their meta-gradients match central finite differences of their meta-losses
// (Meta-SGD's learning rates included; ANIL's written independently, adapting the head of the
// whole network rather than on embeddings computed once), Meta-SGD at its initial rates is
// MAML, and ANIL runs its encoder once per task however many steps the head takes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { tf, type Scalar, type Tensor } from '../../../src/core/tensor/tf.js';
import { crossEntropy } from '../../../src/core/tensor/ops.js';
import { buildNetwork, type Network } from '../../../src/core/models/network.js';
import { maml } from '../../../src/core/learners/maml.js';
import { metaSgd } from '../../../src/core/learners/metasgd.js';
import { anil } from '../../../src/core/learners/anil.js';
import { descend, sgdSteps, taskLogits } from '../../../src/core/learners/fast-weights.js';
import { disposeTaskTensors, queryPart, toTaskTensors, type TaskTensors } from '../../../src/core/learners/task.js';
import { Random } from '../../../src/core/random.js';
import type { InputSpec } from '../../../src/core/data/types.js';
import { randomEpisode } from '../../helpers/random-episode.js';
import { checkGradient } from '../../helpers/gradcheck.js';
import { nativeUnavailable } from '../../helpers/backend.js';

const CASES: { name: string; spec: InputSpec; filters: number; hidden: number[]; steps: number; missing?: number }[] = [
  { name: 'mlp', spec: { vector: { dim: 12 } }, filters: 4, hidden: [16, 8], steps: 2 },
  // One inner step with convolutions: see gradcheck.test.ts (ReLU kinks vs the smallest epsilon).
  { name: 'conv4', spec: { image: { height: 16, width: 16, channels: 1 } }, filters: 3, hidden: [], steps: 1 },
  { name: 'text + vector fused, rows missing one', spec: { text: { features: 6 }, vector: { dim: 4 } }, filters: 2, hidden: [6], steps: 2, missing: 0.3 },
];

const BACKENDS = ['cpu', 'wasm', ...((await nativeUnavailable()) === null ? ['native'] : [])];

async function valueOf(f: () => Tensor): Promise<number> {
  const loss = tf.tidy(f);
  const value = (await loss.data())[0];
  loss.dispose();
  return value;
}

function queryLoss(network: Network, fast: Tensor[], task: TaskTensors): Scalar {
  return crossEntropy(queryPart(taskLogits(network, fast, task.all, task.supportRows, task.ways), 1, task.supportRows), task.queryTargets);
}

/** ANIL's meta-loss, the long way: the head steps through the whole network on the support rows. */
function anilLossByNetwork(network: Network, weights: Tensor[], task: TaskTensors, steps: number, lr: number): Scalar {
  const head = weights.length - 2;
  const encoder = weights.slice(0, head);
  const inner = (h: Tensor[]) => crossEntropy(taskLogits(network, [...encoder, ...h], task.support, task.supportRows, task.ways), task.supportTargets);
  return queryLoss(network, [...encoder, ...descend(inner, weights.slice(head), steps, lr)], task);
}

for (const backend of BACKENDS) {
  for (const c of CASES) {
    const setUp = async () => {
      await tf.setBackend(backend);
      const before = tf.memory().numTensors;
      const network = buildNetwork(c.spec, { filters: c.filters, hidden: c.hidden, fusionDim: 8 }, 3);
      const task = toTaskTensors(randomEpisode(c.spec, { ways: 3, shots: 1, queries: 2 }, 11, c.missing));
      return { before, network, task, inner: { steps: c.steps, lr: 0.3 } };
    };

    test(`Meta-SGD meta-gradient, learning rates included, matches finite differences: ${c.name} on ${backend}`, async (t) => {
      const { before, network, task, inner } = await setUp();
      const learner = metaSgd(network, inner);
      const n = network.params.length;
      // Rates spread around the inner lr, so each parameter adapts at its own pace.
      const rng = new Random(5);
      const initial = learner.init(new Random(3));
      const params = initial.map((p, i) => (i < n ? p : tf.tidy(() => tf.mul(p, tf.randomUniform(p.shape, 0.5, 1.5, 'float32', rng.int(1e6))))));
      tf.dispose(initial.slice(n));
      const metaLoss = (all: Tensor[]) =>
        valueOf(() => queryLoss(network, sgdSteps(network, all.slice(0, n), task.support, task.supportTargets, inner.steps, all.slice(n)), task));
      const result = learner.metaGradient(params, task);
      const check = await checkGradient(metaLoss, params, result.grads);
      t.diagnostic(`max relative error vs FD ${check.maxRelativeError.toExponential(2)} (${check.checked} checks)`);
      assert.ok(check.maxRelativeError <= 1e-2, `max relative error ${check.maxRelativeError}`);
      const rateGrads = await Promise.all(result.grads.slice(n).map((g) => g.data()));
      assert.ok(rateGrads.every((g) => g.some((v) => Math.abs(v) > 1e-6)), 'every learning rate tensor gets a gradient');
      assert.ok(Math.abs((await result.loss.data())[0] - (await metaLoss(params))) < 1e-5);
      tf.dispose([...params, ...result.grads, result.loss, result.predicted]);
      disposeTaskTensors(task);
      assert.equal(tf.memory().numTensors, before);
    });

    test(`ANIL meta-gradient (second order through the head) matches finite differences: ${c.name} on ${backend}`, async (t) => {
      const { before, network, task, inner } = await setUp();
      const params = network.init(new Random(3));
      const result = anil(network, inner).metaGradient(params, task);
      const metaLoss = (weights: Tensor[]) => valueOf(() => anilLossByNetwork(network, weights, task, inner.steps, inner.lr));
      const check = await checkGradient(metaLoss, params, result.grads);
      t.diagnostic(`max relative error vs FD ${check.maxRelativeError.toExponential(2)} (${check.checked} checks)`);
      assert.ok(check.maxRelativeError <= 1e-2, `max relative error ${check.maxRelativeError}`);
      assert.ok(Math.abs((await result.loss.data())[0] - (await metaLoss(params))) < 1e-5);
      tf.dispose([...params, ...result.grads, result.loss, result.predicted]);
      disposeTaskTensors(task);
      assert.equal(tf.memory().numTensors, before);
    });
  }
}

const spec: InputSpec = { image: { height: 16, width: 16, channels: 1 } };
const shape = { ways: 3, shots: 2, queries: 3 };

async function read(tensors: Tensor[]): Promise<Float32Array[]> {
  return Promise.all(tensors.map(async (t) => Float32Array.from(await t.data())));
}

test('Meta-SGD at its initial rates is MAML: the same weight gradient, the same adaptation', async () => {
  await tf.setBackend('cpu');
  const network = buildNetwork(spec, { filters: 3, hidden: [], fusionDim: 4 }, 3);
  const inner = { steps: 2, lr: 0.3 };
  const learner = metaSgd(network, inner);
  const params = learner.init(new Random(2));
  const n = network.params.length;
  assert.equal(learner.params.length, 2 * n);
  assert.deepEqual(learner.params.slice(n).map((p) => p.name), network.params.map((p) => `${p.name}.lr`));
  const episode = randomEpisode(spec, shape, 4);
  const task = toTaskTensors(episode);
  const ours = learner.metaGradient(params, task);
  const theirs = maml(network, inner, false).metaGradient(params.slice(0, n), task);
  const [a, b] = [await read(ours.grads.slice(0, n)), await read(theirs.grads)];
  a.forEach((g, i) => g.forEach((v, j) => assert.ok(Math.abs(v - b[i][j]) < 1e-5, `${network.params[i].name}[${j}]`)));
  const predict = async (weights: Tensor[], adapt: typeof learner.adapt) => {
    const adapted = adapt(weights, episode.support, episode.supportLabels, 3);
    try {
      return await adapted.predict(episode.query);
    } finally {
      adapted.dispose();
    }
  };
  const viaRates = await predict(params, learner.adapt);
  const viaMaml = await predict(params.slice(0, n), maml(network, inner, false).adapt);
  viaRates.forEach((p, i) => assert.ok(Math.abs(p - viaMaml[i]) < 1e-5));
  // Zero rates: the adapted model is the initial one, so serving really uses the learnt rates.
  const frozen = [...params.slice(0, n), ...params.slice(n).map((r) => tf.zerosLike(r))];
  const unadapted = await predict(params.slice(0, n), maml(network, { steps: 0, lr: 0 }, false).adapt);
  (await predict(frozen, learner.adapt)).forEach((p, i) => assert.ok(Math.abs(p - unadapted[i]) < 1e-5));
  assert.ok(viaRates.some((p, i) => Math.abs(p - unadapted[i]) > 1e-3), 'non-zero rates do adapt');
  tf.dispose([...params, ...frozen.slice(n), ...ours.grads, ...theirs.grads, ours.loss, ours.predicted, theirs.loss, theirs.predicted]);
  disposeTaskTensors(task);
});

test('ANIL embeds each task once however many head steps it takes, in training and in serving', async () => {
  await tf.setBackend('cpu');
  const base = buildNetwork(spec, { filters: 3, hidden: [], fusionDim: 4 }, 3);
  let embeds = 0;
  const network: Network = { ...base, embed: (...args) => (embeds++, base.embed(...args)) };
  const learner = anil(network, { steps: 5, lr: 0.3 });
  const params = learner.init(new Random(2));
  const episodes = [1, 2].map((seed) => randomEpisode(spec, shape, seed));
  const before = tf.memory().numTensors;
  const task = toTaskTensors(episodes);
  const result = learner.metaGradient(params, task);
  assert.equal(embeds, 1, 'one encoder pass for a stacked meta-batch of two tasks');
  tf.dispose([...result.grads, result.loss, result.predicted]);
  disposeTaskTensors(task);
  embeds = 0;
  const adapted = learner.adapt(params, episodes[0].support, episodes[0].supportLabels, 3, 10);
  assert.equal(embeds, 1, 'adapting ten steps embeds the support set once');
  const first = await adapted.predict(episodes[0].query);
  const again = await adapted.predict(episodes[0].query);
  assert.equal(embeds, 3, 'each prediction embeds its queries alone');
  first.forEach((p, i) => assert.ok(Math.abs(p - again[i]) < 1e-6));
  // The cached support moments and head score queries as a whole forward pass through the
  // adapted network would.
  const whole = tf.tidy(() => {
    const t = toTaskTensors(episodes[0]);
    const head = params.length - 2;
    const inner = (h: Tensor[]) => crossEntropy(taskLogits(base, [...params.slice(0, head), ...h], t.support, t.supportRows, 3), t.supportTargets);
    const fast = [...params.slice(0, head), ...descend(inner, params.slice(head), 10, 0.3)];
    const probabilities = tf.softmax(queryPart(taskLogits(base, fast, t.all, t.supportRows, 3), 1, t.supportRows));
    disposeTaskTensors(t);
    return probabilities;
  });
  const expected = await whole.data();
  first.forEach((p, i) => assert.ok(Math.abs(p - expected[i]) < 1e-5, `${p} vs ${expected[i]}`));
  whole.dispose();
  adapted.dispose();
  assert.equal(tf.memory().numTensors, before, 'training and serving free what they made');
  tf.dispose(params);
});
