// Dataset sources and the run's class split: what `fewshot train`/`eval` and the benchmarks load.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CoreError, defaultTrainConfig, makeSplit, resolveDatasetSource } from '../../../src/core/index.js';

test('synthetic sources: rotations only where there are images, and only when asked', async () => {
  const images = await resolveDatasetSource('synthetic:images', { rotations: true });
  assert.equal(images.rotations, true);
  assert.equal(images.dataset.classNames.length, 30);
  assert.equal((await resolveDatasetSource('synthetic:images', {})).rotations, false);
  assert.equal((await resolveDatasetSource('synthetic:clusters', { rotations: true })).rotations, false);
  await assert.rejects(resolveDatasetSource('synthetic:faces', {}), (e: unknown) => e instanceof CoreError && /synthetic kinds are clusters, images/.test(e.message));
  await assert.rejects(resolveDatasetSource('omniglot:', {}), (e: unknown) => e instanceof CoreError && /needs a path/.test(e.message));
});

test('a published split is followed, rotating meta-train and validation classes but not test ones', async () => {
  const { dataset } = await resolveDatasetSource('synthetic:images', {});
  const published = { ...dataset, split: { train: [0, 1, 2], validation: [3], test: [4, 5] } };
  const split = makeSplit(published, defaultTrainConfig({ rotations: true }));
  assert.deepEqual(
    split.train.map((v) => `${v.classId}/${v.rotation}`),
    ['0/0', '0/1', '0/2', '0/3', '1/0', '1/1', '1/2', '1/3', '2/0', '2/1', '2/2', '2/3'],
  );
  assert.equal(split.validation.length, 4);
  assert.deepEqual(split.test, [
    { classId: 4, rotation: 0 },
    { classId: 5, rotation: 0 },
  ]);
  const fractional = makeSplit(dataset, defaultTrainConfig({ rotations: false }));
  assert.equal(fractional.train.length + fractional.validation.length + fractional.test.length, 30);
});
