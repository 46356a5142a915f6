// Evaluation as in the literature: mean accuracy ± 95% CI over held-out-class episodes, with
// the two baselines scored on the very same episodes so the gain from meta-learning is visible.
import { tf, type Tensor } from '../tensor/tf.js';
import type { DataSplit, EvaluationReport } from '../types.js';
import type { TrainConfig } from '../config.js';
import type { ClassDataset, ClassView } from '../data/types.js';
import type { MetaLearner } from '../learners/learner.js';
import { readCheckpoint, readManifest, updateManifest } from '../checkpoint/checkpoint.js';
import { readTextFeatures } from '../checkpoint/text-features.js';
import { withTextFeatures } from '../data/text/dataset-text.js';
import { CoreError } from '../errors.js';
import { learnerFor } from '../learners/from-config.js';
import { streamSeed } from '../training/streams.js';
import { EpisodeSampler } from '../episodes/sampler.js';
import { Random } from '../random.js';
import { pretrainBaseline, scratchBaseline } from './baselines.js';
import { episodeAccuracy } from './episode-accuracy.js';
import { meanWithCi } from './stats.js';
import { turn } from '../event-loop.js';

/** A sampler over a split whose classes may be fewer than the training ways (small datasets). */
function splitSampler(
  dataset: ClassDataset,
  views: readonly ClassView[],
  config: TrainConfig,
  seed: number,
): { sampler: EpisodeSampler; ways: number } | null {
  const ways = Math.min(config.episode.ways, views.length);
  if (ways < 2) return null;
  return { sampler: new EpisodeSampler(dataset, views, { ...config.episode, ways }, new Random(seed)), ways };
}

/** Mean query accuracy of the meta-learner on `config.validation.episodes` fixed episodes. */
export async function validationAccuracy(
  learner: MetaLearner,
  params: readonly Tensor[],
  dataset: ClassDataset,
  views: readonly ClassView[],
  config: TrainConfig,
  seed: number,
): Promise<number | null> {
  const sampler = splitSampler(dataset, views, config, seed)?.sampler;
  if (!sampler || config.validation.episodes <= 0) return null;
  let total = 0;
  for (let i = 0; i < config.validation.episodes; i++) {
    await turn();
    total += await episodeAccuracy(sampler.next(), (ep) => learner.adapt(params, ep.support, ep.supportLabels, ep.ways));
  }
  return total / config.validation.episodes;
}

/** Null when the split has too few classes, or when `signal` aborts it part-way. */
export async function evaluate(
  learner: MetaLearner,
  checkpoint: string,
  dataset: ClassDataset,
  split: DataSplit,
  config: TrainConfig,
  seed: number,
  signal?: AbortSignal,
  onEpisode?: (done: number, episodes: number) => Promise<void> | void,
): Promise<EvaluationReport | null> {
  const test = splitSampler(dataset, split.test, config, seed);
  if (!test || config.evaluation.episodes <= 0) return null;
  const { sampler, ways } = test;
  const { params: values } = await readCheckpoint(checkpoint, learner.network.params);
  const params = values.map((v, i) => tf.tensor(v, learner.network.params[i].shape));
  const pretrained = config.evaluation.baselines ? await pretrainBaseline(dataset, split.train, config, seed, signal) : null;
  const scratch = scratchBaseline(dataset.rows.spec, config, seed);
  const scores = { meta: [] as number[], scratch: [] as number[], pretrained: [] as number[] };
  try {
    // Episodes are drawn one at a time and scored by every method before the next, so memory
    // stays flat however many episodes are asked for.
    for (let i = 0; i < config.evaluation.episodes; i++) {
      await turn();
      if (signal?.aborted) return null;
      const episode = sampler.next();
      scores.meta.push(await episodeAccuracy(episode, (ep) => learner.adapt(params, ep.support, ep.supportLabels, ep.ways)));
      if (pretrained) {
        scores.scratch.push(await episodeAccuracy(episode, scratch.solve));
        scores.pretrained.push(await episodeAccuracy(episode, pretrained.solve));
      }
      await onEpisode?.(i + 1, config.evaluation.episodes);
    }
  } finally {
    tf.dispose(params);
    pretrained?.dispose();
  }
  return {
    episodes: config.evaluation.episodes,
    ways,
    shots: config.episode.shots,
    queries: config.episode.queries,
    accuracy: meanWithCi(scores.meta),
    baselines: pretrained ? { scratch: meanWithCi(scores.scratch), pretrained: meanWithCi(scores.pretrained) } : null,
  };
}

/**
 * Re-evaluates a saved checkpoint on the test classes of its own split (`fewshot eval`). The
 * dataset must be the one it was trained on; the report is also stored in its manifest.
 */
export async function evaluateCheckpoint(
  checkpoint: string,
  dataset: ClassDataset,
  options: { episodes: number; baselines: boolean; seed?: number },
): Promise<EvaluationReport | null> {
  const manifest = await readManifest(checkpoint);
  const trainedOn = manifest.dataset.classNames;
  if (trainedOn.length !== dataset.classNames.length || trainedOn.some((name, i) => name !== dataset.classNames[i])) {
    throw new CoreError(
      'invalid_data',
      `checkpoint ${checkpoint} was trained on dataset '${manifest.dataset.name}' (${trainedOn.length} classes); '${dataset.name}' has other classes`,
    );
  }
  const config = { ...manifest.config, evaluation: { episodes: options.episodes, baselines: options.baselines } };
  const learner = learnerFor(manifest.spec, config);
  // Text is featurised as the run featurised it: with the features its checkpoint carries.
  const text = await readTextFeatures(checkpoint, manifest);
  const featurised = text ? withTextFeatures(dataset, text) : dataset;
  const seed = options.seed ?? streamSeed(manifest.config.seed, 'test');
  const report = await evaluate(learner, checkpoint, featurised, manifest.split, config, seed);
  if (report) await updateManifest(checkpoint, { evaluation: report });
  return report;
}
