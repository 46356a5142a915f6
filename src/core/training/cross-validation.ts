// K-fold meta-validation: the meta-train classes are dealt into K folds, and one run per fold
// meta-trains on the other folds' classes and is scored on episodes of its own, which that run
// never saw. The folds estimate how well the configuration learns new classes, with a spread;
// the model that is served is trained afterwards on all the meta-train classes.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { CrossValidationReport, DataSplit, FoldReport, TrainResult, TrainRunOptions } from '../types.js';
import type { TrainConfig } from '../config.js';
import { defaultEvaluationEpisodes } from '../config.js';
import type { ClassView } from '../data/types.js';
import { CoreError } from '../errors.js';
import { Random } from '../random.js';
import { kFoldClasses } from '../episodes/splits.js';
import { writeFileAtomic } from '../atomic-write.js';
import { streamSeed } from './streams.js';

/** Finished folds, so a resumed job does not train them again. Top-level: the service stores it with the run. */
const FOLDS_FILE = 'folds.json';
/** Fold runs' checkpoints: a dot directory, which the service's run storage leaves alone (they are scratch). */
const FOLDS_DIR = '.folds';

export interface ClassFoldViews {
  train: ClassView[];
  heldOut: ClassView[];
}

/**
 * The meta-train views dealt into `k` folds by class: every rotation of a class goes with it, so
 * no turned copy of a held-out class is trained on. Held-out classes are scored unrotated, as
 * the test classes are.
 */
export function foldViews(train: readonly ClassView[], k: number, rng: Random): ClassFoldViews[] {
  const classIds = [...new Set(train.map((v) => v.classId))].sort((a, b) => a - b);
  return kFoldClasses(classIds.length, k, rng).map((fold) => {
    const heldOut = new Set(fold.test.map((i) => classIds[i]));
    return {
      train: train.filter((v) => !heldOut.has(v.classId)),
      heldOut: [...heldOut].sort((a, b) => a - b).map((classId) => ({ classId, rotation: 0 })),
    };
  });
}

/** Mean and (sample) standard deviation of the scored folds' accuracies; null when none was scored. */
export function summariseFolds(folds: readonly FoldReport[]): CrossValidationReport {
  const scores = folds.flatMap((f) => (f.evaluation ? [f.evaluation.accuracy.mean] : []));
  if (scores.length === 0) return { folds: [...folds], accuracy: null };
  const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
  const std = scores.length > 1 ? Math.sqrt(scores.reduce((a, b) => a + (b - mean) ** 2, 0) / (scores.length - 1)) : 0;
  return { folds: [...folds], accuracy: { mean, std } };
}

/** A fold run's configuration: its own iteration budget, scored by the meta-learner alone. */
export function foldConfig(config: TrainConfig): TrainConfig {
  const { crossValidation, ...rest } = config;
  if (!crossValidation) throw new Error('foldConfig needs config.crossValidation');
  const outer = { ...config.outer, iterations: crossValidation.iterations };
  // Folds are scored even when the final test evaluation is switched off: that is what they are for.
  const episodes = config.evaluation.episodes > 0 ? config.evaluation.episodes : defaultEvaluationEpisodes(outer);
  return { ...rest, outer, evaluation: { episodes, baselines: false } };
}

async function finishedFolds(dir: string): Promise<FoldReport[]> {
  try {
    return JSON.parse(await readFile(join(dir, FOLDS_FILE), 'utf8')) as FoldReport[];
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/**
 * Runs the folds of `split.train` (those not already finished in `opts.dir`, when resuming)
 * with `trainOnce`. Null when the run was stopped part-way.
 */
export async function crossValidate(
  opts: TrainRunOptions,
  split: DataSplit,
  trainOnce: (opts: TrainRunOptions) => Promise<Pick<TrainResult, 'status' | 'iterations' | 'evaluation'>>,
): Promise<CrossValidationReport | null> {
  const { config, dir } = opts;
  const k = config.crossValidation!.folds;
  const classes = new Set(split.train.map((v) => v.classId)).size;
  if (k > classes) throw new CoreError('invalid_data', `${k} folds need at least ${k} meta-train classes; the split has ${classes}`);
  // A fork, so dealing the folds draws nothing from the stream that split the classes.
  const folds = foldViews(split.train, k, new Random(streamSeed(config.seed, 'init')).fork());
  const fewest = Math.min(...folds.map((f) => f.train.length));
  if (fewest < config.episode.ways) {
    throw new CoreError(
      'invalid_data',
      `with ${k} folds a fold trains on ${fewest} meta-train classes, too few for ${config.episode.ways}-way episodes: use fewer folds`,
    );
  }
  const fold = foldConfig(config);
  const done = opts.resume ? await finishedFolds(dir) : [];
  const perIterationSeconds: number[] = [];
  for (let index = done.length; index < k; index++) {
    const number = index + 1;
    const foldDir = join(dir, FOLDS_DIR, `fold-${number}`);
    const started = performance.now();
    const result = await trainOnce({
      dataset: opts.dataset,
      config: fold,
      split: { train: folds[index].train, validation: split.validation, test: folds[index].heldOut },
      dir: foldDir,
      resume: opts.resume,
      signal: opts.signal,
      onWarning: (message) => opts.onWarning?.(`fold ${number} of ${k}: ${message.replace('test classes', 'held-out classes')}`),
      onProgress: (progress) => {
        const perIteration = progress.tasksPerSecond > 0 ? fold.outer.metaBatchSize / progress.tasksPerSecond : 0;
        if (progress.phase === 'meta-training') perIterationSeconds[index] = perIteration;
        // The whole remaining training: this fold's phase, the folds after it, the served model's run.
        const later = (k - number) * fold.outer.iterations + config.outer.iterations;
        return opts.onProgress?.({
          ...progress,
          phase: 'cross-validation',
          fold: { fold: number, folds: k },
          etaSeconds: progress.etaSeconds + later * (perIterationSeconds[index] ?? perIteration),
        });
      },
    });
    if (result.status === 'cancelled') return null;
    const report: FoldReport = {
      fold: number,
      trainClasses: new Set(folds[index].train.map((v) => v.classId)).size,
      heldOutClasses: folds[index].heldOut.length,
      evaluation: result.evaluation && { episodes: result.evaluation.episodes, ways: result.evaluation.ways, accuracy: result.evaluation.accuracy },
      iterations: result.iterations,
      seconds: (performance.now() - started) / 1000,
    };
    done.push(report);
    await writeFileAtomic(join(dir, FOLDS_FILE), JSON.stringify(done));
    // Its checkpoints served only to score it.
    await rm(foldDir, { recursive: true, force: true });
    await opts.onFold?.(report);
  }
  return summariseFolds(done);
}
