// Stacking a meta-batch's tasks into one computation (per-task fast weights with a leading
// task axis, grouped convolutions as im2col matmuls) gives the same meta-gradient as running
// the tasks one by one, for every algorithm, on MLP, conv4 and multimodal data, under each
// normalisation choice (TaskNorm's per-task α included).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, type Tensor } from '../../../src/core/tensor/tf.js';
import { buildNetwork } from '../../../src/core/models/network.js';
import { createLearner, headWidth } from '../../../src/core/learners/index.js';
import { disposeTaskTensors, toTaskTensors } from '../../../src/core/learners/task.js';
import { ALGORITHMS, type Norm } from '../../../src/core/config.js';
import { Random } from '../../../src/core/random.js';
import type { InputSpec } from '../../../src/core/data/types.js';
import { randomEpisode } from '../../helpers/random-episode.js';
import { TEST_BACKENDS, useTestBackend } from '../../helpers/backend.js';

const SPECS: { name: string; spec: InputSpec; missing: number; norm?: Norm }[] = [
  { name: 'mlp', spec: { vector: { dim: 10 } }, missing: 0 },
  { name: 'conv4', spec: { image: { height: 16, width: 16, channels: 1 } }, missing: 0 },
  { name: 'multimodal with missing rows', spec: { image: { height: 16, width: 16, channels: 1 }, text: { features: 12 } }, missing: 0.3 },
  { name: 'strokes with missing rows', spec: { strokes: { points: 8 }, vector: { dim: 4 } }, missing: 0.3 },
  { name: 'conv4, tasknorm', spec: { image: { height: 16, width: 16, channels: 1 } }, missing: 0, norm: 'tasknorm' },
  { name: 'conv4, instance norm', spec: { image: { height: 16, width: 16, channels: 1 } }, missing: 0, norm: 'instance' },
  { name: 'strokes with missing rows, tasknorm', spec: { strokes: { points: 8 }, vector: { dim: 4 } }, missing: 0.3, norm: 'tasknorm' },
];

async function read(tensors: Tensor[]): Promise<Float32Array[]> {
  return Promise.all(tensors.map(async (t) => Float32Array.from(await t.data())));
}

for (const backend of TEST_BACKENDS) {
  for (const algorithm of ALGORITHMS) {
    for (const { name, spec, missing, norm } of SPECS) {
      test(`${algorithm}, ${name}: 3 stacked tasks = mean of 3 single tasks (${backend})`, async () => {
        await useTestBackend(backend);
        const before = tf.memory().numTensors;
        const network = buildNetwork(spec, { filters: 3, hidden: [12], fusionDim: 6, norm }, headWidth(algorithm, 3));
        const learner = createLearner(algorithm, network, { steps: 2, lr: 0.2 });
        const params = learner.init(new Random(1));
        const episodes = [1, 2, 3].map((seed) => randomEpisode(spec, { ways: 3, shots: 2, queries: 2 }, seed, missing));
        const singles: { grads: Float32Array[]; loss: number; predicted: number[] }[] = [];
        for (const episode of episodes) {
          const task = toTaskTensors(episode);
          const r = learner.metaGradient(params, task);
          singles.push({ grads: await read(r.grads), loss: (await r.loss.data())[0], predicted: Array.from(await r.predicted.data()) });
          tf.dispose([...r.grads, r.loss, r.predicted]);
          disposeTaskTensors(task);
        }
        const task = toTaskTensors(episodes);
        const stacked = learner.metaGradient(params, task);
        const grads = await read(stacked.grads);
        grads.forEach((g, i) => {
          const scale = Math.max(1e-3, ...singles.map((s) => Math.max(...s.grads[i].map(Math.abs))));
          g.forEach((value, j) => {
            const mean = singles.reduce((total, s) => total + s.grads[i][j], 0) / 3;
            assert.ok(Math.abs(value - mean) <= 2e-4 * scale, `${learner.params[i].name}[${j}]: ${value} vs ${mean}`);
          });
        });
        const meanLoss = singles.reduce((total, s) => total + s.loss, 0) / 3;
        assert.ok(Math.abs((await stacked.loss.data())[0] - meanLoss) < 1e-4);
        assert.deepEqual(Array.from(await stacked.predicted.data()), singles.flatMap((s) => s.predicted));
        tf.dispose([...stacked.grads, stacked.loss, stacked.predicted, ...params]);
        disposeTaskTensors(task);
        assert.equal(tf.memory().numTensors, before);
      });
    }
  }
}

test('stacking tasks launches far fewer kernels than one task at a time', async () => {
  await useTestBackend();
  const spec: InputSpec = { image: { height: 16, width: 16, channels: 1 } };
  const network = buildNetwork(spec, { filters: 3, hidden: [], fusionDim: 6 }, 3);
  const learner = createLearner('maml', network, { steps: 1, lr: 0.2 });
  const params = network.init(new Random(1));
  const episodes = Array.from({ length: 8 }, (_, i) => randomEpisode(spec, { ways: 3, shots: 1, queries: 2 }, i));
  const kernels = async (groups: (typeof episodes)[]) => {
    const profile = await tf.profile(() => {
      for (const group of groups) {
        const task = toTaskTensors(group);
        const r = learner.metaGradient(params, task);
        tf.dispose([...r.grads, r.loss, r.predicted]);
        disposeTaskTensors(task);
      }
    });
    return profile.kernels.length;
  };
  const oneByOne = await kernels(episodes.map((e) => [e]));
  const stacked = await kernels([episodes]);
  assert.ok(stacked * 5 < oneByOne, `${stacked} kernels stacked vs ${oneByOne} one task at a time`);
  tf.dispose(params);
});
