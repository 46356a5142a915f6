// One Omniglot run of bench:multimodal in its own process: ProtoNets on image, strokes or both
// (the drawings of the two small background sets, split by character: 70% meta-train, 10%
// validation for keep-best, 20% test), then test accuracy ± 95% CI over the test characters; a
// fused model is tested again with each modality removed from every support and query row.
// Prints one JSON line.
//   tsx bench/multimodal-omniglot-cell.ts --config '<OmniglotConfig JSON>' [--backend B]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultTrainConfig, evaluateCheckpoint, initBackend, trainRun, type BackendPreference, type Modality } from '../src/core/index.js';
import { progressReporter } from '../src/cli/progress.js';
import { keepModalities, omniglotWithStrokes, withoutModality } from './multimodal-omniglot-data.js';
import type { OmniglotConfig } from './multimodal-plan.js';
import { peakRssMiB } from './measure.js';

const { values } = parseArgs({
  options: {
    config: { type: 'string' },
    backend: { type: 'string', default: 'auto' },
    'cache-dir': { type: 'string', default: join(tmpdir(), 'fewshot-bench-cache') },
  },
});
const plan = JSON.parse(values.config!) as OmniglotConfig;
const backend = await initBackend(values.backend as BackendPreference);
const modalities: Modality[] = plan.inputs === 'image + strokes' ? ['image', 'strokes'] : [plan.inputs];
const dataset = keepModalities(await omniglotWithStrokes(values['cache-dir']!), modalities);

const config = defaultTrainConfig({
  algorithm: 'protonet',
  episode: { ways: 5, shots: plan.shots, queries: 15 },
  outer: { iterations: plan.iterations, metaBatchSize: 1 },
  validation: { every: Math.max(1, Math.round(plan.iterations / 6)), episodes: Math.min(50, plan.testEpisodes) },
  checkpointEvery: 0,
  evaluation: { episodes: plan.testEpisodes, baselines: false },
  split: { train: 0.7, validation: 0.1, test: 0.2 },
});

const dir = await mkdtemp(join(tmpdir(), 'fewshot-bench-omniglot-'));
const progress = progressReporter({ write: (text) => process.stderr.write(text), isTTY: false });
const seconds = (since: number) => (performance.now() - since) / 1000;
try {
  const started = performance.now();
  const result = await trainRun({ dataset, config, dir, onProgress: (p) => progress.update(p) });
  const tests = [{ removed: null as Modality | null, accuracy: result.evaluation!.accuracy, seconds: seconds(started) }];
  if (modalities.length > 1) {
    for (const removed of modalities) {
      const testStarted = performance.now();
      const report = await evaluateCheckpoint(result.bestCheckpoint, withoutModality(dataset, removed), { episodes: plan.testEpisodes, baselines: false });
      tests.push({ removed, accuracy: report!.accuracy, seconds: seconds(testStarted) });
    }
  }
  console.log(JSON.stringify({ backend: backend.name, characters: dataset.classNames.length, tests, peakRssMiB: peakRssMiB() }));
} finally {
  await rm(dir, { recursive: true, force: true });
}
