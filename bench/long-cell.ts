// The long run, in its own process: ProtoNets meta-trained on Omniglot for a wall-clock budget
// with Snell et al.'s training episodes (60-way 1-shot, 5 queries per class), then 5-way 1-shot
// test accuracy over 600 episodes at several points of the run. Snapshots are copied when a
// checkpoint is written past each mark; copying is not counted as training time. Prints one
// JSON line: the curve (training minutes, iterations, accuracy ± 95% CI).
//   tsx bench/long-cell.ts [--minutes 20] [--marks 2.5,5,10,15] [--ways 60] [--queries 5]
//                          [--test-episodes 600] [--norm tasknorm|support|instance] [--backend B]
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultTrainConfig, initBackend, trainRun, type BackendPreference, type Norm } from '../src/core/index.js';
import { evaluate } from '../src/core/evaluation/evaluate.js';
import { learnerFor } from '../src/core/learners/from-config.js';
import { streamSeed } from '../src/core/training/streams.js';
import { standardOmniglot } from './omniglot-standard.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '20' },
    marks: { type: 'string', default: '2.5,5,10,15' },
    ways: { type: 'string', default: '60' },
    queries: { type: 'string', default: '5' },
    'test-episodes': { type: 'string', default: '600' },
    norm: { type: 'string' },
    backend: { type: 'string', default: 'auto' },
    'cache-dir': { type: 'string', default: join(tmpdir(), 'fewshot-bench-cache') },
  },
});
const budgetSeconds = Number(values.minutes) * 60;
const marks = values.marks!.split(',').map((m) => Number(m) * 60).filter((s) => s < budgetSeconds);

const backend = await initBackend(values.backend as BackendPreference);
const { dataset, split } = await standardOmniglot(values['cache-dir']!);
const config = defaultTrainConfig({
  algorithm: 'protonet',
  model: values.norm ? { norm: values.norm as Norm } : {},
  episode: { ways: Number(values.ways), shots: 1, queries: Number(values.queries) },
  outer: { lr: 1e-3, metaBatchSize: 1, iterations: 1_000_000 },
  validation: { every: 0, episodes: 0 },
  checkpointEvery: 20,
  evaluation: { episodes: 0, baselines: false },
  rotations: true,
});

const dir = await mkdtemp(join(tmpdir(), 'fewshot-bench-long-'));
const snapshots: { seconds: number; iteration: number; path: string }[] = [];
const abort = new AbortController();
const started = performance.now();
let paused = 0;
const training = () => (performance.now() - started - paused) / 1000;
try {
  await trainRun({
    dataset,
    config,
    split,
    dir,
    signal: abort.signal,
    onProgress: (p) => {
      if (training() >= budgetSeconds) abort.abort();
      if (p.iteration % 100 === 0) process.stderr.write(`iteration ${p.iteration}: loss ${p.loss.toFixed(3)}, ${(training() / 60).toFixed(1)} min\n`);
    },
    onCheckpoint: async ({ iteration, path }) => {
      const seconds = training();
      const final = abort.signal.aborted;
      if (!final && snapshots.length >= marks.length) return;
      if (!final && seconds < marks[snapshots.length]) return;
      const copyStarted = performance.now();
      const copy = join(dir, `snapshot-${iteration}`);
      await cp(path, copy, { recursive: true });
      snapshots.push({ seconds, iteration, path: copy });
      paused += performance.now() - copyStarted;
    },
  });
  const test = { ...config, episode: { ways: 5, shots: 1, queries: 15 }, evaluation: { episodes: Number(values['test-episodes']), baselines: false } };
  const learner = learnerFor(dataset.rows.spec, test);
  const curve = [];
  for (const s of snapshots) {
    const evalStarted = performance.now();
    const report = await evaluate(learner, s.path, dataset, split, test, streamSeed(config.seed, 'test'));
    const point = {
      minutes: s.seconds / 60,
      iteration: s.iteration,
      accuracy: report!.accuracy.mean,
      ci95: report!.accuracy.ci95,
      evalSeconds: (performance.now() - evalStarted) / 1000,
    };
    process.stderr.write(`${point.minutes.toFixed(1)} min, ${point.iteration} episodes: ${(100 * point.accuracy).toFixed(2)} ± ${(100 * point.ci95).toFixed(2)}%\n`);
    curve.push(point);
  }
  console.log(JSON.stringify({ backend: backend.name, device: backend.device, norm: config.model.norm, ways: config.episode.ways, queries: config.episode.queries, curve }));
} finally {
  await rm(dir, { recursive: true, force: true });
}
