// An adaptation keeps its support set's batch-norm moments (and, for prototypical networks, the
// prototypes), so later predictions run the queries alone: their scores must be those of the
// support and queries run through the network together.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildNetwork } from '../../../src/core/models/network.js';
import { createLearner, headWidth } from '../../../src/core/learners/index.js';
import { prototypeScores } from '../../../src/core/learners/protonet.js';
import { queryPart } from '../../../src/core/learners/task.js';
import { concatRows } from '../../../src/core/data/rows.js';
import { disposeInputs, toInputs } from '../../../src/core/models/inputs.js';
import { oneHot } from '../../../src/core/tensor/ops.js';
import { Random } from '../../../src/core/random.js';
import { tf } from '../../../src/core/tensor/tf.js';
import { randomEpisode } from '../../helpers/random-episode.js';
import { TEST_BACKENDS, useTestBackend } from '../../helpers/backend.js';

const spec = { image: { height: 16, width: 16, channels: 1 } };

function assertClose(actual: Float32Array, expected: Float32Array, context: string) {
  assert.equal(actual.length, expected.length, context);
  actual.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-5, `${context}[${i}]: ${v} vs ${expected[i]}`));
}

/** A tiny conv4 learner, its weights and one episode. */
function setUp(algorithm: 'protonet' | 'maml', seed: number) {
  const network = buildNetwork(spec, { filters: 4, hidden: [], fusionDim: 4 }, headWidth(algorithm, 3));
  const learner = createLearner(algorithm, network, algorithm === 'maml' ? { steps: 2, lr: 0.3 } : { steps: 0, lr: 0 });
  return { network, learner, params: network.init(new Random(seed)), episode: randomEpisode(spec, { ways: 3, shots: 2, queries: 3 }, seed + 3) };
}

for (const backend of TEST_BACKENDS) {
  test(`prototypical networks: cached prototypes and moments score queries as the whole forward pass does (${backend})`, async () => {
    await useTestBackend(backend);
    const { network, learner, params, episode } = setUp('protonet', 2);
    const before = tf.memory().numTensors;
    const adapted = learner.adapt(params, episode.support, episode.supportLabels, 3);
    const cached = await adapted.predict(episode.query);
    const all = toInputs(concatRows([episode.support, episode.query]));
    const targets = oneHot(episode.supportLabels, 3);
    const expected = tf.tidy(() => tf.softmax(queryPart(prototypeScores(network, params, all, episode.support.n, targets), 1, episode.support.n)));
    assertClose(cached, (await expected.data()) as Float32Array, 'protonet');
    tf.dispose([expected, targets]);
    disposeInputs(all);
    adapted.dispose();
    assert.equal(tf.memory().numTensors, before, 'the adaptation frees what it kept');
    tf.dispose(params);
  });

  test(`MAML: predictions after the first, from the recorded moments, equal the first (${backend})`, async () => {
    await useTestBackend(backend);
    const { learner, params, episode } = setUp('maml', 3);
    const before = tf.memory().numTensors;
    const adapted = learner.adapt(params, episode.support, episode.supportLabels, 3);
    const first = await adapted.predict(episode.query);
    assertClose(await adapted.predict(episode.query), first, 'maml');
    adapted.dispose();
    assert.equal(tf.memory().numTensors, before, 'the adaptation frees what it kept');
    tf.dispose(params);
  });
}
