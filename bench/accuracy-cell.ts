// Our side of one Omniglot accuracy run, in its own process: trainRun on the standard split
// (all background characters + rotations meta-train, evaluation characters unrotated test, no
// validation, as the reference does), then test accuracy ± 95% CI. Prints one JSON line.
//   tsx bench/accuracy-cell.ts --config '<AccuracyConfig JSON>' [--backend B] [--task-batch N|auto] [--baselines]
//                              [--norm tasknorm|support|instance] [--resize lanczos|bilinear] [--seed S]
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultTrainConfig, initBackend, type BackendPreference, type Norm, type ResizeFilter } from '../src/core/index.js';
import type { AccuracyConfig } from './accuracy-plan.js';
import { peakRssMiB } from './measure.js';
import { standardOmniglot } from './omniglot-standard.js';
import { timedTrainRun } from './timed-train.js';

const { values } = parseArgs({
  options: {
    config: { type: 'string' },
    backend: { type: 'string', default: 'auto' },
    'task-batch': { type: 'string', default: 'auto' },
    baselines: { type: 'boolean', default: false },
    norm: { type: 'string' },
    resize: { type: 'string' },
    seed: { type: 'string', default: '1' },
    'cache-dir': { type: 'string', default: join(tmpdir(), 'fewshot-bench-cache') },
  },
});
const plan = JSON.parse(values.config!) as AccuracyConfig;

const backend = await initBackend(values.backend as BackendPreference);
const { dataset, split, loadSeconds } = await standardOmniglot(values['cache-dir']!, values.resize as ResizeFilter | undefined);

const config = defaultTrainConfig({
  algorithm: plan.algo,
  model: values.norm ? { norm: values.norm as Norm } : {},
  episode: { ways: plan.ways, shots: plan.shots, queries: plan.queries },
  inner: plan.inner,
  outer: { lr: plan.metaLr, metaBatchSize: plan.metaBatch, iterations: plan.iterations },
  validation: { every: 0, episodes: 0 },
  checkpointEvery: 0,
  evaluation: { episodes: plan.testEpisodes, baselines: values.baselines },
  rotations: true,
  seed: Number(values.seed),
  taskBatch: values['task-batch'] === 'auto' ? 'auto' : Number(values['task-batch']),
});

await timedTrainRun({ dataset, config, split }, ({ result, trainSeconds, evalSeconds }) => {
  const evaluation = result.evaluation!;
  console.log(
    JSON.stringify({
      backend: backend.name,
      device: backend.device,
      norm: config.model.norm,
      resize: dataset.rows.spec.image?.resize ?? 'bilinear',
      accuracy: evaluation.accuracy.mean,
      ci95: evaluation.accuracy.ci95,
      baselines: evaluation.baselines,
      loadSeconds,
      trainSeconds,
      evalSeconds,
      peakRssMiB: peakRssMiB(),
    }),
  );
});
