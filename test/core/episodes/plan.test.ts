import assert from 'node:assert/strict';
import { test } from 'node:test';
import { trainRun } from '../../../src/core/training/run.js';
import { planSampling } from '../../../src/core/episodes/plan.js';
import { buildDataset } from '../../../src/core/data/raw-examples.js';
import { CoreError } from '../../../src/core/errors.js';
import { useTestBackend } from '../../helpers/backend.js';
import { tinyConfig, withTempDir } from '../../helpers/runs.js';

const sized = (counts: number[]) => counts.map((examples, i) => ({ name: `c${i}`, examples }));
const fixed = { train: [0, 1, 2, 3], validation: [4, 5], test: [6, 7, 8] };

test('too-small classes are left out and counted per split', () => {
  const config = tinyConfig({ episode: { ways: 3, shots: 2, queries: 2 }, validation: { every: 1, episodes: 2 } });
  const plan = planSampling(sized([5, 4, 5, 1, 5, 5, 3, 9, 6]), fixed, false, config);
  assert.equal(plan.examplesPerClass, 4);
  assert.deepEqual([plan.train, plan.validation, plan.test], [
    { classes: 4, excluded: 1 },
    { classes: 2, excluded: 0 },
    { classes: 3, excluded: 1 },
  ]);
  assert.deepEqual(plan.excludedClasses, [
    { name: 'c3', examples: 1, split: 'train' },
    { name: 'c6', examples: 3, split: 'test' },
  ]);
});

test('rotations multiply meta-train classes, not test classes', () => {
  const config = tinyConfig({ episode: { ways: 5, shots: 1, queries: 1 }, rotations: true });
  const plan = planSampling(sized([2, 2, 2, 2, 2, 2, 2, 2, 2]), fixed, true, config);
  assert.equal(plan.train.classes, 16);
  assert.equal(plan.test.classes, 3);
  assert.throws(() => planSampling(sized([2, 2, 2, 2, 2, 2, 2, 2, 2]), fixed, false, config), /train split cannot form one 5-way episode/);
});

test('a validation or test split whose classes are all too small is refused, unless it is not sampled', () => {
  const counts = sized([5, 5, 5, 5, 2, 2, 5, 5, 5]);
  const validating = tinyConfig({ episode: { ways: 3, shots: 2, queries: 2 }, validation: { every: 1, episodes: 2 } });
  const error = (() => {
    try {
      planSampling(counts, fixed, false, validating);
    } catch (e) {
      return e as CoreError;
    }
    throw new Error('not refused');
  })();
  assert.equal(error.code, 'degenerate_data');
  assert.match(error.message, /the validation split cannot form one 2-way episode: it has 2 classes, 0 with the 4 examples/);
  assert.match(error.message, /'c4' \(2\), 'c5' \(2\)/);
  planSampling(counts, fixed, false, { ...validating, validation: { every: 0, episodes: 2 } });
});

test('a run samples around the classes the plan leaves out', async () => {
  await useTestBackend();
  const examples = [0, 1, 2, 3, 4, 5, 6].flatMap((c) =>
    Array.from({ length: c === 2 ? 1 : 5 }, (_, i) => ({ label: `c${c}`, vector: [c, i, c * i] })),
  );
  const dataset = await buildDataset('small', examples);
  const config = tinyConfig({ episode: { ways: 2, shots: 2, queries: 2 }, outer: { iterations: 2, metaBatchSize: 2, lr: 1e-3 }, evaluation: { episodes: 2, baselines: false } });
  const plan = planSampling(dataset.classNames.map((name, i) => ({ name, examples: i === 2 ? 1 : 5 })), undefined, false, config);
  assert.equal(plan.excludedClasses.length, 1);
  await withTempDir(async (dir) => {
    const result = await trainRun({ dataset, config, dir });
    assert.equal(result.status, 'completed');
  });
});
