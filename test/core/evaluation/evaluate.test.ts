// Evaluation that fits small data: batched baselines (the same numbers as one episode at a time),
// the baseline pre-training phase with its progress, warnings where the split cannot give what
// was asked, timing, and default episodes scaled to the training budget.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Progress } from '../../../src/core/types.js';
import { defaultEvaluationEpisodes, defaultTrainConfig } from '../../../src/core/config.js';
import { gaussianClusters } from '../../../src/core/data/synthetic.js';
import { EpisodeSampler } from '../../../src/core/episodes/sampler.js';
import { withRotations } from '../../../src/core/episodes/splits.js';
import { pretrainBaseline, scratchBaseline, type Baseline } from '../../../src/core/evaluation/baselines.js';
import { evaluationPlan } from '../../../src/core/evaluation/evaluate.js';
import { Random } from '../../../src/core/random.js';
import { tf } from '../../../src/core/tensor/tf.js';
import { trainRun } from '../../../src/core/training/run.js';
import { evaluationTaskBatch } from '../../../src/core/training/task-batch.js';
import { useTestBackend } from '../../helpers/backend.js';
import { tinyConfig, withTempDir } from '../../helpers/runs.js';

const clusters = gaussianClusters({ classes: 12, perClass: 8, dim: 10, noise: 0.4, seed: 5 });

test('default evaluation episodes scale with the training budget: 100 to 600, the full default gets 600', () => {
  assert.equal(defaultTrainConfig().evaluation.episodes, 600);
  assert.equal(defaultEvaluationEpisodes({ iterations: 1000, metaBatchSize: 32 }), 600);
  assert.equal(defaultEvaluationEpisodes({ iterations: 200, metaBatchSize: 32 }), 128);
  assert.equal(defaultEvaluationEpisodes({ iterations: 60, metaBatchSize: 5 }), 100);
  assert.equal(defaultTrainConfig({ outer: { iterations: 300 } }).evaluation.episodes, 192);
  // Asked for is kept, whatever the budget.
  assert.equal(defaultTrainConfig({ outer: { iterations: 10 }, evaluation: { episodes: 600 } }).evaluation.episodes, 600);
});

test('evaluationPlan: fewer ways than asked, too few classes, and a single class set are warned about', () => {
  const config = tinyConfig({ episode: { ways: 3, shots: 1, queries: 2 }, evaluation: { episodes: 50, baselines: false } });
  assert.deepEqual(evaluationPlan(5, config, 'test classes'), { ways: 3, warnings: [] });
  const two = evaluationPlan(2, config, 'test classes');
  assert.equal(two.ways, 2);
  assert.match(two.warnings[0], /2-way instead of the requested 3-way: it has only 2 classes/);
  assert.match(two.warnings[1], /can only draw from 1 set of 2 classes/);
  const one = evaluationPlan(1, config, 'test classes');
  assert.equal(one.ways, 0);
  assert.match(one.warnings[0], /no evaluation on the test classes: it has 1 class/);
  assert.deepEqual(evaluationPlan(1, { ...config, evaluation: { episodes: 0, baselines: false } }, 'test classes'), { ways: 0, warnings: [] });
});

test('baselines score a stacked group of episodes exactly as one episode at a time, and free every tensor', async () => {
  await useTestBackend();
  const config = tinyConfig({ outer: { iterations: 15, metaBatchSize: 2, lr: 3e-3 } });
  const views = withRotations([0, 1, 2, 3, 4, 5], false);
  const episodes = () => {
    const sampler = new EpisodeSampler(clusters, withRotations([6, 7, 8, 9], false), config.episode, new Random(11));
    return Array.from({ length: 6 }, () => sampler.next());
  };
  const scores = async (make: () => Promise<Baseline> | Baseline, group: number) => {
    const baseline = await make();
    const list = episodes();
    const out: number[] = [];
    for (let i = 0; i < list.length; i += group) out.push(...(await baseline.accuracies(list.slice(i, i + group))));
    baseline.dispose();
    return out;
  };
  const before = tf.memory().numTensors;
  const scratch = () => scratchBaseline(clusters.rows.spec, config, 3);
  const pretrained = () => pretrainBaseline(clusters, views, config, 3);
  for (const make of [scratch, pretrained]) {
    const alone = await scores(make, 1);
    const stacked = await scores(make, 6);
    assert.equal(alone.length, 6);
    assert.deepEqual(stacked, alone);
    assert.ok(alone.every((a) => a >= 0 && a <= 1));
  }
  assert.equal(tf.memory().numTensors, before);
});

test('a run pre-trains the baseline in a phase of its own, with progress, then evaluates; the report has timing and warnings', async () => {
  await useTestBackend();
  await withTempDir(async (dir) => {
    // 12 classes: 8 meta-train, 2 validation, 2 test, so 3-way evaluation can only be 2-way.
    const config = tinyConfig({
      split: { train: 0.67, validation: 0.16, test: 0.17 },
      outer: { iterations: 12, metaBatchSize: 2, lr: 3e-3 },
      evaluation: { episodes: 10, baselines: true },
    });
    const seen: Progress[] = [];
    const warnings: string[] = [];
    const result = await trainRun({ dataset: clusters, config, dir, onProgress: (p) => void seen.push(p), onWarning: (w) => void warnings.push(w) });
    const phases = seen.map((p) => p.phase).filter((phase, i, all) => phase !== all[i - 1]);
    assert.deepEqual(phases, ['meta-training', 'baseline', 'evaluation']);
    const baseline = seen.filter((p) => p.phase === 'baseline');
    assert.deepEqual(baseline.map((p) => p.baseline!.done), Array.from({ length: 13 }, (_, i) => i));
    assert.ok(baseline.every((p) => p.baseline!.steps === 12 && p.evaluation === null && Number.isFinite(p.etaSeconds) && p.etaSeconds >= 0));
    assert.ok(baseline.slice(1, -1).some((p) => p.etaSeconds > 0), 'the baseline phase has an ETA');
    assert.equal(seen.filter((p) => p.phase === 'evaluation').at(-1)!.evaluation!.done, 10);
    assert.ok(seen.filter((p) => p.phase === 'evaluation').every((p) => p.baseline === undefined));

    const evaluation = result.evaluation!;
    assert.equal(evaluation.ways, 2);
    assert.match(warnings[0], /evaluation on the test classes is 2-way instead of the requested 3-way/);
    assert.deepEqual(evaluation.warnings, warnings.filter((w) => w.includes('test classes')));
    assert.deepEqual(result.warnings, warnings);
    const timing = evaluation.timing!;
    assert.ok(timing.seconds > 0 && timing.baselineSeconds > 0 && timing.baselineSeconds < timing.seconds);
    assert.ok(timing.msPerEpisode > 0 && timing.methodMsPerEpisode.meta > 0);
    assert.ok(timing.methodMsPerEpisode.scratch! > 0 && timing.methodMsPerEpisode.pretrained! > 0);
  });
});

test('evaluation groups: 32 episodes of vectors, 8 of small images on CPU backends, fewer for large images', () => {
  const config = tinyConfig({ algorithm: 'protonet' });
  assert.equal(evaluationTaskBatch(config, { vector: { dim: 8 } }, 'cpu'), 32);
  assert.equal(evaluationTaskBatch(config, { image: { height: 28, width: 28, channels: 1 } }, 'wasm'), 8);
  // 120 rows × 84·84·9·3 floats: 91 MB of im2col per task, 5 within the 512 MB budget.
  const wide = { ...config, episode: { ways: 20, shots: 1, queries: 5 } };
  assert.equal(evaluationTaskBatch(wide, { image: { height: 84, width: 84, channels: 3 } }, 'native'), 5);
  // 400 rows: 305 MB a task, one at a time.
  assert.equal(evaluationTaskBatch({ ...config, episode: { ways: 20, shots: 5, queries: 15 } }, { image: { height: 84, width: 84, channels: 3 } }, 'native'), 1);
});
