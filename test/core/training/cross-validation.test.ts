// K-fold meta-validation: folds by class (rotations stay with their class), the summary over
// folds, and a run that scores each fold on classes its training never saw, shows which fold is
// running, resumes without redoing finished folds, then trains the served model on every class.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FoldReport, Progress } from '../../../src/core/types.js';
import { readManifest } from '../../../src/core/checkpoint/checkpoint.js';
import { gaussianClusters } from '../../../src/core/data/synthetic.js';
import { withRotations } from '../../../src/core/episodes/splits.js';
import { Random } from '../../../src/core/random.js';
import { foldConfig, foldViews, summariseFolds } from '../../../src/core/training/cross-validation.js';
import { trainRun } from '../../../src/core/training/run.js';
import { useTestBackend } from '../../helpers/backend.js';
import { tinyConfig, withTempDir } from '../../helpers/runs.js';

test('foldViews: every class held out exactly once, with all its rotations out of that fold\'s training', () => {
  const train = withRotations([1, 3, 4, 7, 8, 9, 12], true);
  const folds = foldViews(train, 3, new Random(4));
  assert.equal(folds.length, 3);
  const heldOut = folds.flatMap((f) => f.heldOut.map((v) => v.classId)).sort((a, b) => a - b);
  assert.deepEqual(heldOut, [1, 3, 4, 7, 8, 9, 12]);
  for (const fold of folds) {
    assert.ok(fold.heldOut.every((v) => v.rotation === 0), 'held-out classes are scored unrotated');
    const out = new Set(fold.heldOut.map((v) => v.classId));
    assert.ok(fold.train.every((v) => !out.has(v.classId)));
    assert.equal(fold.train.length, 4 * (7 - out.size), 'the other classes keep all four turns');
  }
  assert.deepEqual(foldViews(train, 3, new Random(4)), folds, 'seeded');
});

test('summariseFolds: mean and sample standard deviation over the scored folds', () => {
  const fold = (n: number, mean: number | null): FoldReport => ({
    fold: n,
    trainClasses: 4,
    heldOutClasses: 2,
    evaluation: mean === null ? null : { episodes: 10, ways: 2, accuracy: { mean, ci95: 0.1 } },
    iterations: 5,
    seconds: 1,
  });
  const summary = summariseFolds([fold(1, 0.6), fold(2, 0.8), fold(3, null)]);
  assert.equal(summary.folds.length, 3);
  assert.ok(Math.abs(summary.accuracy!.mean - 0.7) < 1e-12);
  assert.ok(Math.abs(summary.accuracy!.std - Math.sqrt(0.02)) < 1e-12);
  assert.equal(summariseFolds([fold(1, null)]).accuracy, null);
});

test('foldConfig: the fold budget, meta-learner only, scored even when the test evaluation is off', () => {
  const config = tinyConfig({ crossValidation: { folds: 3, iterations: 7 }, evaluation: { episodes: 0, baselines: true } });
  const fold = foldConfig(config);
  assert.equal(fold.crossValidation, undefined);
  assert.equal(fold.outer.iterations, 7);
  assert.deepEqual(fold.evaluation, { episodes: 100, baselines: false });
});

test('a K-fold run: folds on held-out classes, fold progress, resumed without redoing folds, then the served model on all classes', async () => {
  await useTestBackend();
  const clusters = gaussianClusters({ classes: 14, perClass: 8, dim: 10, noise: 0.4, seed: 6 });
  const config = tinyConfig({
    algorithm: 'protonet',
    episode: { ways: 2, shots: 1, queries: 3 },
    split: { train: 0.72, validation: 0.14, test: 0.14 },
    outer: { iterations: 10, metaBatchSize: 2, lr: 3e-3 },
    crossValidation: { folds: 3, iterations: 6 },
    evaluation: { episodes: 12, baselines: false },
  });
  await withTempDir(async (dir) => {
    const seen: Progress[] = [];
    const finished: number[] = [];
    const stop = new AbortController();
    const first = await trainRun({
      dataset: clusters,
      config,
      dir,
      signal: stop.signal,
      onProgress: (p) => void seen.push(p),
      onFold: (f) => {
        finished.push(f.fold);
        if (f.fold === 2) stop.abort();
      },
    });
    assert.equal(first.status, 'cancelled');
    assert.deepEqual(finished, [1, 2]);
    const saved = JSON.parse(await readFile(join(dir, 'folds.json'), 'utf8')) as FoldReport[];
    assert.deepEqual(saved.map((f) => f.fold), [1, 2]);

    const rest: Progress[] = [];
    const result = await trainRun({ dataset: clusters, config, dir, resume: true, onProgress: (p) => void rest.push(p), onFold: (f) => void finished.push(f.fold) });
    assert.equal(result.status, 'completed');
    assert.deepEqual(finished, [1, 2, 3], 'the resumed run trains only the fold left');
    const foldsSeen = [...seen, ...rest].filter((p) => p.phase === 'cross-validation').map((p) => p.fold!.fold);
    assert.deepEqual([...new Set(foldsSeen)], [1, 2, 3]);
    assert.ok([...seen, ...rest].filter((p) => p.phase === 'cross-validation').every((p) => p.fold!.folds === 3 && p.iterations === 6));
    assert.ok(rest.filter((p) => p.phase === 'cross-validation').some((p) => p.evaluation !== null), 'fold evaluation shows');
    assert.deepEqual([...new Set(rest.map((p) => p.phase))], ['cross-validation', 'meta-training', 'evaluation']);

    const cv = result.crossValidation!;
    assert.deepEqual(cv.folds.map((f) => f.fold), [1, 2, 3]);
    // 14 classes: 10 meta-train dealt 4/3/3.
    assert.deepEqual(cv.folds.map((f) => f.heldOutClasses).sort(), [3, 3, 4]);
    for (const fold of cv.folds) {
      assert.equal(fold.trainClasses + fold.heldOutClasses, 10);
      assert.equal(fold.iterations, 6);
      assert.ok(fold.evaluation && fold.evaluation.episodes === 12 && fold.evaluation.ways === 2);
      assert.ok(fold.evaluation.accuracy.mean > 0.5, `fold ${fold.fold}: ${fold.evaluation.accuracy.mean}`);
    }
    assert.ok(cv.accuracy && cv.accuracy.std >= 0);
    // The served model trained on all ten meta-train classes, for its own budget.
    assert.equal(result.iterations, 10);
    const manifest = await readManifest(result.bestCheckpoint);
    assert.equal(manifest.split.train.length, 10);
  });
});
