import assert from 'node:assert/strict';
import { test } from 'node:test';
import { predictedClasses } from '../../../src/core/evaluation/episode-accuracy.js';
import { accuracyOf } from '../../../src/core/learners/task.js';

test('predictedClasses takes each row’s most probable class, the first on a tie', () => {
  const probabilities = Float32Array.from([0.2, 0.5, 0.3, 0.4, 0.4, 0.2, 0.1, 0.1, 0.8]);
  assert.deepEqual([...predictedClasses(probabilities, 3)], [1, 0, 2]);
});

test('accuracyOf compares predicted and true labels of any kind', () => {
  assert.equal(accuracyOf(Int32Array.from([1, 0, 2]), Int32Array.from([1, 1, 2])), 2 / 3);
  assert.equal(accuracyOf(['a', 'b'], ['a', 'b']), 1);
  assert.equal(accuracyOf([], []), 0);
});
