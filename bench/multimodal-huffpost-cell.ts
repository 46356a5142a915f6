// One HuffPost run of bench:multimodal in its own process: trainRun on the published class split
// with the given learner and text features (fitted on the 20 meta-train classes), keep-best on
// the 5 validation classes, then test accuracy ± 95% CI on the 16 test classes; with
// `baselines`, also the scratch and pre-trained baselines and nearest prototypes on the text
// features themselves (no network), all on the same test episodes. Prints one JSON line.
//   tsx bench/multimodal-huffpost-cell.ts --config '<HuffPostConfig JSON>' [--backend B]
import { parseArgs } from 'node:util';
import { defaultTrainConfig, initBackend, loadHuffPost, type BackendPreference } from '../src/core/index.js';
import { readManifest } from '../src/core/checkpoint/checkpoint.js';
import { readTextFeatures } from '../src/core/checkpoint/text-features.js';
import { withTextFeatures } from '../src/core/data/text/dataset-text.js';
import { featurePrototypeAccuracy } from './multimodal-prototypes.js';
import { HUFFPOST_DIR, type HuffPostConfig } from './multimodal-plan.js';
import { peakRssMiB } from './measure.js';
import { timedTrainRun } from './timed-train.js';

const { values } = parseArgs({ options: { config: { type: 'string' }, backend: { type: 'string', default: 'auto' } } });
const plan = JSON.parse(values.config!) as HuffPostConfig;
const backend = await initBackend(values.backend as BackendPreference);
const dataset = await loadHuffPost(HUFFPOST_DIR);

const config = defaultTrainConfig({
  algorithm: plan.algo,
  episode: { ways: 5, shots: plan.shots, queries: 15 },
  outer: { iterations: plan.iterations, metaBatchSize: plan.metaBatch },
  validation: { every: Math.max(1, Math.round(plan.iterations / 8)), episodes: Math.min(100, plan.testEpisodes) },
  checkpointEvery: 0,
  evaluation: { episodes: plan.testEpisodes, baselines: plan.baselines },
  text: { features: plan.features },
});

await timedTrainRun({ dataset, config }, async ({ result, trainSeconds, evalSeconds }) => {
  const evaluation = result.evaluation!;
  const manifest = await readManifest(result.bestCheckpoint);
  const features = plan.baselines
    ? featurePrototypeAccuracy(withTextFeatures(dataset, (await readTextFeatures(result.bestCheckpoint, manifest))!), manifest.split.test, manifest.config)
    : null;
  console.log(
    JSON.stringify({
      backend: backend.name,
      accuracy: evaluation.accuracy,
      baselines: evaluation.baselines,
      featurePrototypes: features,
      bestIteration: manifest.iteration,
      trainSeconds,
      evalSeconds,
      peakRssMiB: peakRssMiB(),
    }),
  );
});
