// Every tensor a meta-iteration makes is freed: the live tensor count is the same after 1,000
// meta-iterations of each algorithm as after the first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../../src/core/tensor/tf.js';
import { buildNetwork } from '../../../src/core/models/network.js';
import { createLearner, headWidth } from '../../../src/core/learners/index.js';
import { metaStep } from '../../../src/core/training/meta-step.js';
import { adam, interpolate } from '../../../src/core/training/optimizer.js';
import { ALGORITHMS } from '../../../src/core/config.js';
import { Random } from '../../../src/core/random.js';
import { randomEpisode } from '../../helpers/random-episode.js';
import { TEST_BACKENDS, useTestBackend } from '../../helpers/backend.js';

const spec = { vector: { dim: 6 }, text: { features: 5 } };

for (const backend of TEST_BACKENDS) {
  for (const algorithm of ALGORITHMS) {
    test(`numTensors stays flat over 1,000 ${algorithm} meta-iterations (${backend})`, async () => {
      await useTestBackend(backend);
      const network = buildNetwork(spec, { filters: 2, hidden: [6], fusionDim: 4 }, headWidth(algorithm, 3));
      const learner = createLearner(algorithm, network, { steps: 2, lr: 0.1 });
      const shapes = learner.params.map((p) => p.shape);
      const optimizer = algorithm === 'reptile' ? interpolate(0.5, 1000) : adam(1e-3, shapes);
      const episodes = [1, 2].map((seed) => randomEpisode(spec, { ways: 3, shots: 1, queries: 2 }, seed, 0.3));
      let params = learner.init(new Random(1));
      const counts: number[] = [];
      for (let i = 0; i < 1000; i++) {
        params = (await metaStep(learner, optimizer, params, episodes)).params;
        if (i === 0 || i === 999) counts.push(tf.memory().numTensors);
      }
      assert.equal(counts[1], counts[0]);
      tf.dispose(params);
      optimizer.dispose();
    });
  }
}
