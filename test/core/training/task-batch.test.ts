import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveTaskBatch } from '../../../src/core/training/task-batch.js';
import { ALGORITHMS, defaultTrainConfig, type Algorithm } from '../../../src/core/config.js';

const image = { image: { height: 28, width: 28, channels: 1 } };
const vector = { vector: { dim: 256 } };
const w1 = (algorithm: Algorithm) => defaultTrainConfig({ algorithm, outer: { metaBatchSize: 32 } });

test('auto stacks as many W1 tasks as the im2col memory budget allows on a GPU', () => {
  assert.equal(resolveTaskBatch(w1('maml'), image, 'webgpu'), 14);
  assert.equal(resolveTaskBatch(w1('protonet'), image, 'webgpu'), 32);
  assert.equal(resolveTaskBatch(w1('metasgd'), image, 'webgpu'), 14);
  // ANIL's encoder weights are shared by the tasks: no per-task convolutions to budget for.
  assert.equal(resolveTaskBatch(w1('anil'), image, 'webgpu'), 32);
  assert.equal(resolveTaskBatch(w1('maml'), vector, 'tensorflow-gpu'), 32);
});

test('auto on CPU backends follows the measured costs', () => {
  for (const algorithm of ALGORITHMS) {
    assert.equal(resolveTaskBatch(w1(algorithm), image, 'wasm'), 1);
    assert.equal(resolveTaskBatch(w1(algorithm), vector, 'wasm'), 32);
    assert.equal(resolveTaskBatch(w1(algorithm), vector, 'cpu'), 32);
  }
});

test('an explicit task batch is kept within 1..metaBatchSize', () => {
  assert.equal(resolveTaskBatch({ ...w1('maml'), taskBatch: 8 }, image, 'wasm'), 8);
  assert.equal(resolveTaskBatch({ ...w1('maml'), taskBatch: 100 }, image, 'wasm'), 32);
  assert.equal(resolveTaskBatch({ ...w1('maml'), taskBatch: 0 }, image, 'wasm'), 1);
});
