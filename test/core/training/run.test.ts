import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { trainRun } from '../../../src/core/training/run.js';
import { loadPredictor } from '../../../src/core/adaptation/predictor.js';
import { ALGORITHMS } from '../../../src/core/config.js';
import { gaussianClusters } from '../../../src/core/data/synthetic.js';
import { tf } from '../../../src/core/tensor/tf.js';
import { readCheckpoint } from '../../../src/core/checkpoint/checkpoint.js';
import { readPointer } from '../../../src/core/checkpoint/run-dir.js';
import { loadDataset, saveDataset } from '../../../src/core/data/dataset-file.js';
import { TEST_BACKENDS, useTestBackend } from '../../helpers/backend.js';
import { tinyConfig, withTempDir } from '../../helpers/runs.js';

const clusters = gaussianClusters({ classes: 15, perClass: 8, dim: 10, noise: 0.4, seed: 3 });

for (const backend of TEST_BACKENDS) {
  for (const algorithm of ALGORITHMS) {
    test(`${algorithm}: a resumed run repeats the uninterrupted run's losses and final weights exactly (${backend})`, async () => {
      await useTestBackend(backend);
      const config = tinyConfig({
        algorithm,
        outer: { iterations: 8, metaBatchSize: 2, lr: algorithm === 'reptile' ? 1 : 3e-3 },
        checkpointEvery: 4,
        validation: { every: 3, episodes: 5 },
      });
      const losses = async (dir: string, resume: boolean, stopAfter?: number) => {
        const seen: number[] = [];
        const abort = new AbortController();
        const result = await trainRun({
          dataset: clusters,
          config,
          dir,
          resume,
          signal: abort.signal,
          onProgress: (p) => {
            seen[p.iteration] = p.loss;
            if (p.iteration === stopAfter) abort.abort();
          },
        });
        return { seen, result };
      };
      await withTempDir(async (dir) => {
        const whole = await losses(`${dir}/whole`, false);
        const first = await losses(`${dir}/split`, false, 5);
        assert.equal(first.result.status, 'cancelled');
        assert.equal(first.result.iterations, 5);
        const rest = await losses(`${dir}/split`, true);
        assert.equal(rest.result.status, 'completed');
        assert.deepEqual(rest.seen.slice(6), whole.seen.slice(6));
        assert.deepEqual(first.seen.slice(1), whole.seen.slice(1, 6));
        // Wall times differ between runs; every number the evaluation measured must not.
        const { timing: _r, ...restEvaluation } = rest.result.evaluation!;
        const { timing: _w, ...wholeEvaluation } = whole.result.evaluation!;
        assert.deepEqual(restEvaluation, wholeEvaluation);
        assert.equal(rest.result.bestValidationAccuracy, whole.result.bestValidationAccuracy);
        // Every learnt tensor (Meta-SGD's learning rates too) ends bit for bit where the uninterrupted run's does.
        const finalWeights = async (run: string) => (await readCheckpoint(join(run, (await readPointer(run, 'latest'))!.checkpoint))).params;
        assert.deepEqual(await finalWeights(`${dir}/split`), await finalWeights(`${dir}/whole`));
      });
    });
  }
}

test('progress, keep-best validation, pruned checkpoints and a servable best model', async () => {
  await useTestBackend();
  await withTempDir(async (dir) => {
    const progress: number[] = [];
    const evaluated: number[] = [];
    const saved: number[] = [];
    const config = tinyConfig({ algorithm: 'protonet', validation: { every: 5, episodes: 10 } });
    const result = await trainRun({
      dataset: clusters,
      config,
      dir,
      onProgress: (p) => {
        if (p.phase === 'evaluation') {
          evaluated.push(p.evaluation!.done);
          assert.equal(p.evaluation!.episodes, 20);
          assert.equal(p.iteration, 20);
          return;
        }
        assert.equal(p.evaluation, null);
        progress.push(p.iteration);
        assert.ok(p.tasksPerSecond > 0 && p.etaSeconds >= 0 && Number.isFinite(p.loss));
        assert.equal(p.iterations, 20);
      },
      onCheckpoint: (c) => void saved.push(c.iteration),
    });
    assert.deepEqual(progress, Array.from({ length: 20 }, (_, i) => i + 1));
    assert.equal(evaluated[0], 0, 'the evaluation phase is announced before its first episode');
    assert.equal(evaluated.at(-1), 20);
    assert.ok(evaluated.every((done, i) => i === 0 || done > evaluated[i - 1]), `${evaluated}`);
    assert.ok(saved.includes(10) && saved.includes(20));
    assert.ok(result.bestValidationAccuracy !== null && result.bestValidationAccuracy > 0.5);
    const checkpoints = (await readdir(dir)).filter((f) => f.startsWith('ckpt-'));
    assert.ok(checkpoints.length <= 3, `only latest, the one before it and best are kept: ${checkpoints}`);
    assert.ok(result.evaluation && result.evaluation.episodes === 20);
    const before = tf.memory().numTensors;
    const predictor = await loadPredictor(result.bestCheckpoint);
    predictor.dispose();
    assert.equal(tf.memory().numTensors, before);
  });
});

test('every algorithm learns: test accuracy well above chance on held-out classes', async () => {
  await useTestBackend();
  for (const algorithm of ALGORITHMS) {
    await withTempDir(async (dir) => {
      const config = tinyConfig({
        algorithm,
        outer: { iterations: 30, metaBatchSize: 4, lr: algorithm === 'reptile' ? 1 : 5e-3 },
        inner: { steps: 3, lr: algorithm === 'reptile' ? 0.1 : 0.4 },
        evaluation: { episodes: 40, baselines: true },
      });
      const result = await trainRun({ dataset: clusters, config, dir });
      const evaluation = result.evaluation!;
      assert.ok(evaluation.accuracy.mean > 0.6, `${algorithm}: ${evaluation.accuracy.mean} (chance 1/3)`);
      assert.ok(evaluation.accuracy.ci95 > 0 && evaluation.accuracy.ci95 < 0.2);
      assert.ok(evaluation.baselines && evaluation.baselines.scratch.mean > 0 && evaluation.baselines.pretrained.mean > 0);
    });
  }
});

test('too few classes for the episode shape is a clear data error', async () => {
  await useTestBackend();
  await withTempDir(async (dir) => {
    const config = tinyConfig({ episode: { ways: 20, shots: 1, queries: 1 } });
    await assert.rejects(trainRun({ dataset: clusters, config, dir }), /20-way episodes need 20 meta-train classes/);
  });
});

test("a dataset's own class split (Omniglot, HuffPost) is used and recorded in the checkpoint", async () => {
  await useTestBackend();
  const split = { train: [0, 1, 2, 3, 4, 5, 6, 7], validation: [8, 9, 10], test: [11, 12, 13, 14] };
  await withTempDir(async (dir) => {
    const result = await trainRun({ dataset: { ...clusters, split }, config: tinyConfig({ outer: { iterations: 2, metaBatchSize: 1, lr: 1e-3 } }), dir });
    const { manifest } = await readCheckpoint(result.bestCheckpoint);
    assert.deepEqual(manifest.split.train.map((v) => v.classId), split.train);
    assert.deepEqual(manifest.split.test.map((v) => v.classId), split.test);
    const saved = `${dir}/data.fsd`;
    await saveDataset(saved, { ...clusters, split });
    assert.deepEqual((await loadDataset(saved)).split, split);
  });
});
