// Our side of one Omniglot accuracy run, in its own process: trainRun on the standard split
// (all background characters + rotations meta-train, evaluation characters unrotated test, no
// validation, as the reference does), then test accuracy ± 95% CI. Prints one JSON line.
//   tsx bench/accuracy-cell.ts --config '<AccuracyConfig JSON>' [--backend B] [--task-batch N|auto] [--baselines]
//                              [--norm tasknorm|support|instance]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultTrainConfig, initBackend, trainRun, type BackendPreference, type Norm } from '../src/core/index.js';
import { progressReporter } from '../src/cli/progress.js';
import { resolveDatasetSource } from '../src/cli/train-dataset-source.js';
import { OMNIGLOT_DIR, type AccuracyConfig } from './accuracy-plan.js';
import { peakRssMiB } from './measure.js';

const { values } = parseArgs({
  options: {
    config: { type: 'string' },
    backend: { type: 'string', default: 'auto' },
    'task-batch': { type: 'string', default: 'auto' },
    baselines: { type: 'boolean', default: false },
    norm: { type: 'string' },
    'cache-dir': { type: 'string', default: join(tmpdir(), 'fewshot-bench-cache') },
  },
});
const plan = JSON.parse(values.config!) as AccuracyConfig;

const backend = await initBackend(values.backend as BackendPreference);
const loadStarted = performance.now();
const source = await resolveDatasetSource(`omniglot:${OMNIGLOT_DIR}`, { rotations: true, cacheDir: values['cache-dir'] });
const loadSeconds = (performance.now() - loadStarted) / 1000;
if (!source.split) throw new Error(`${OMNIGLOT_DIR} lacks the background/evaluation pair`);
// The reference meta-trains on every background character: the validation hold-out rejoins.
const split = { train: [...source.split.train, ...source.split.validation], validation: [], test: source.split.test };

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
  taskBatch: values['task-batch'] === 'auto' ? 'auto' : Number(values['task-batch']),
});

const dir = await mkdtemp(join(tmpdir(), 'fewshot-bench-run-'));
const progress = progressReporter({ write: (text) => process.stderr.write(text), isTTY: false });
const started = performance.now();
let trainSeconds = 0;
try {
  const result = await trainRun({
    dataset: source.dataset,
    config,
    split,
    dir,
    onProgress: (p) => {
      progress.update(p);
      if (p.iteration === p.iterations) trainSeconds = (performance.now() - started) / 1000;
    },
  });
  const evaluation = result.evaluation!;
  console.log(
    JSON.stringify({
      backend: backend.name,
      device: backend.device,
      accuracy: evaluation.accuracy.mean,
      ci95: evaluation.accuracy.ci95,
      baselines: evaluation.baselines,
      loadSeconds,
      trainSeconds,
      evalSeconds: (performance.now() - started) / 1000 - trainSeconds,
      peakRssMiB: peakRssMiB(),
    }),
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
