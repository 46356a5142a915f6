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
import { backendName } from '../tensor/backend.js';
import { evaluationTaskBatch } from '../training/task-batch.js';

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

export interface EvaluationHooks {
  /** Checked between groups of episodes; an aborted evaluation returns null. */
  signal?: AbortSignal;
  /** Updates of the pre-trained baseline's supervised training so far. */
  onBaselineStep?: (done: number, steps: number) => Promise<void> | void;
  /** Test episodes scored so far (by every method). */
  onEpisode?: (done: number, episodes: number) => Promise<void> | void;
}

export interface EvaluationPlan {
  /** 0 when the classes cannot make an episode (fewer than two). */
  ways: number;
  warnings: string[];
}

const combinations = (n: number, k: number) => {
  let c = 1;
  for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i;
  return Math.round(c);
};

/**
 * What evaluating on `classes` (test, or a held-out fold: `what` names them) can do as configured:
 * a small dataset's split may hold fewer classes than the episodes ask for. Whatever differs from
 * the request is said in a warning, for the job, its events and the model record.
 */
export function evaluationPlan(classes: number, config: TrainConfig, what: string): EvaluationPlan {
  const requested = config.episode.ways;
  const episodes = config.evaluation.episodes;
  if (episodes <= 0) return { ways: 0, warnings: [] };
  if (classes < 2) {
    return {
      ways: 0,
      warnings: [`no evaluation on the ${what}: it has ${classes} class${classes === 1 ? '' : 'es'}, an episode needs at least 2`],
    };
  }
  const ways = Math.min(requested, classes);
  const warnings: string[] = [];
  if (ways < requested) {
    warnings.push(`evaluation on the ${what} is ${ways}-way instead of the requested ${requested}-way: it has only ${classes} classes`);
  }
  const distinct = combinations(classes, ways);
  if (distinct < episodes && distinct < 5) {
    warnings.push(
      `the ${episodes} evaluation episodes on the ${what} can only draw from ${distinct} set${distinct === 1 ? '' : 's'} of ${ways} classes: ` +
        'their confidence interval covers the choice of examples, not of classes',
    );
  }
  return { ways, warnings };
}

/**
 * Null when the split has too few classes, or when the signal aborts it part-way. Episodes are
 * scored in groups: the meta-learner one episode at a time (its own adapt), the baselines a
 * whole group at once, stacked as meta-batches are (`group` episodes; see task-batch.ts).
 */
export async function evaluate(
  learner: MetaLearner,
  checkpoint: string,
  dataset: ClassDataset,
  split: DataSplit,
  config: TrainConfig,
  seed: number,
  hooks: EvaluationHooks = {},
): Promise<EvaluationReport | null> {
  const started = performance.now();
  const plan = evaluationPlan(split.test.length, config, 'test classes');
  if (plan.ways === 0) return null;
  const { ways } = plan;
  const episodes = config.evaluation.episodes;
  const sampler = new EpisodeSampler(dataset, split.test, { ...config.episode, ways }, new Random(seed));
  const { params: values } = await readCheckpoint(checkpoint, learner.params);
  const params = values.map((v, i) => tf.tensor(v, learner.params[i].shape));
  const baselineStarted = performance.now();
  const pretrained = config.evaluation.baselines
    ? await pretrainBaseline(dataset, split.train, config, seed, hooks.signal, hooks.onBaselineStep)
    : null;
  const baselineSeconds = pretrained ? (performance.now() - baselineStarted) / 1000 : 0;
  const scratch = scratchBaseline(dataset.rows.spec, config, seed);
  const group = evaluationTaskBatch(config, dataset.rows.spec, backendName());
  const scores = { meta: [] as number[], scratch: [] as number[], pretrained: [] as number[] };
  const ms = { meta: 0, scratch: 0, pretrained: 0 };
  const timed = async (method: keyof typeof ms, run: () => Promise<number[]>) => {
    const t = performance.now();
    scores[method].push(...(await run()));
    ms[method] += performance.now() - t;
  };
  const scoringStarted = performance.now();
  await hooks.onEpisode?.(0, episodes);
  try {
    // A group of episodes is drawn and scored by every method before the next, so memory
    // stays flat however many episodes are asked for.
    for (let done = 0; done < episodes; ) {
      await turn();
      if (hooks.signal?.aborted) return null;
      const batch = Array.from({ length: Math.min(group, episodes - done) }, () => sampler.next());
      await timed('meta', async () => {
        const accuracies: number[] = [];
        for (const episode of batch) {
          accuracies.push(await episodeAccuracy(episode, (ep) => learner.adapt(params, ep.support, ep.supportLabels, ep.ways)));
        }
        return accuracies;
      });
      if (pretrained) {
        await timed('scratch', () => scratch.accuracies(batch));
        await timed('pretrained', () => pretrained.accuracies(batch));
      }
      done += batch.length;
      await hooks.onEpisode?.(done, episodes);
    }
  } finally {
    tf.dispose(params);
    pretrained?.dispose();
  }
  const perEpisode = (total: number) => total / episodes;
  return {
    episodes,
    ways,
    shots: config.episode.shots,
    queries: config.episode.queries,
    accuracy: meanWithCi(scores.meta),
    baselines: pretrained ? { scratch: meanWithCi(scores.scratch), pretrained: meanWithCi(scores.pretrained) } : null,
    timing: {
      seconds: (performance.now() - started) / 1000,
      baselineSeconds,
      msPerEpisode: perEpisode(performance.now() - scoringStarted),
      methodMsPerEpisode: {
        meta: perEpisode(ms.meta),
        scratch: pretrained ? perEpisode(ms.scratch) : null,
        pretrained: pretrained ? perEpisode(ms.pretrained) : null,
      },
    },
    warnings: plan.warnings,
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
