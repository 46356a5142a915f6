// trainRun: dataset -> class split -> episodes -> meta-learner -> checkpoints -> evaluation.
// The one entry point the queue worker and the CLI use to meta-train.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { tf, type Tensor } from '../tensor/tf.js';
import type { DataSplit, EvaluationReport, Progress, TrainResult, TrainRunOptions } from '../types.js';
import type { TrainConfig } from '../config.js';
import type { ClassDataset } from '../data/types.js';
import { CoreError } from '../errors.js';
import { learnerFor } from '../learners/from-config.js';
import { Random } from '../random.js';
import { EpisodeSampler } from '../episodes/sampler.js';
import { makeSplit, usableSplit } from '../episodes/plan.js';
import { readCheckpoint, readManifest, updateManifest, writeCheckpoint, type RunMetrics } from '../checkpoint/checkpoint.js';
import { textFeaturesFiles } from '../checkpoint/text-features.js';
import { checkpointName, findResumePoint, pruneCheckpoints, readPointer, writePointer } from '../checkpoint/run-dir.js';
import { evaluate, evaluationPlan, validationAccuracy } from '../evaluation/evaluate.js';
import { crossValidate } from './cross-validation.js';
import { metaStep } from './meta-step.js';
import { adam, interpolate, type OuterOptimizer } from './optimizer.js';
import { streamSeed } from './streams.js';
import { resolveTaskBatch } from './task-batch.js';
import { runText } from './run-text.js';
import { backendName } from '../tensor/backend.js';

/** Examples per class of `dataset`. */
function classSizes(dataset: ClassDataset): Int32Array {
  const counts = new Int32Array(dataset.classNames.length);
  for (const label of dataset.labels) counts[label]++;
  return counts;
}

/**
 * With config.crossValidation, the folds' runs first (training/cross-validation.ts), then the
 * served model's run on every meta-train class.
 */
export async function trainRun(opts: TrainRunOptions): Promise<TrainResult> {
  const warnings: string[] = [];
  const onWarning = async (message: string) => {
    warnings.push(message);
    await opts.onWarning?.(message);
  };
  const split = opts.split ?? makeSplit(opts.dataset, opts.config);
  const crossValidation = opts.config.crossValidation ? await crossValidate({ ...opts, onWarning }, split, trainOnce) : undefined;
  if (crossValidation === null) {
    // Stopped during the folds: the served model's run has not begun.
    return { status: 'cancelled', iterations: 0, bestCheckpoint: '', bestValidationAccuracy: null, evaluation: null, warnings };
  }
  const result = await trainOnce({ ...opts, split, onWarning });
  return { ...result, ...(crossValidation ? { crossValidation } : {}), warnings };
}

/** What an evaluation or validation split cannot do as configured, said before the run starts. */
function splitWarnings(split: DataSplit, config: TrainConfig): string[] {
  const warnings = evaluationPlan(split.test.length, config, 'test classes').warnings;
  if (config.validation.every > 0 && config.validation.episodes > 0) {
    const classes = split.validation.length;
    if (classes < 2) warnings.push(`no validation: the validation split has ${classes} classes; the last checkpoint is served, not the best`);
    else if (classes < config.episode.ways) {
      warnings.push(`validation is ${classes}-way instead of the requested ${config.episode.ways}-way: the validation split has only ${classes} classes`);
    }
  }
  return warnings;
}

async function trainOnce(opts: TrainRunOptions): Promise<Omit<TrainResult, 'warnings' | 'crossValidation'>> {
  const { dir } = opts;
  await mkdir(dir, { recursive: true });
  const resumePoint = opts.resume ? await findResumePoint(dir) : null;
  if (resumePoint?.skipped.length) await opts.onResumeFallback?.(resumePoint);
  const latest = resumePoint?.checkpoint ?? null;
  const resumed = latest ? await readManifest(latest) : null;
  // Classes too small for an episode are left out of sampling (the service refuses a job that
  // keeps too few of them before it is queued: episodes/plan.ts).
  const sizes = classSizes(opts.dataset);
  const split = usableSplit(
    resumed?.split ?? opts.split ?? makeSplit(opts.dataset, opts.config),
    (classId) => sizes[classId],
    opts.config,
  );
  const { dataset, config, text } = await runText(opts.dataset, opts.config, split, resumed && { path: latest!, manifest: resumed });
  const textFiles = text ? textFeaturesFiles(text) : null;
  const learner = learnerFor(dataset.rows.spec, config);
  const restored = latest ? await readCheckpoint(latest, learner.params) : null;
  if (split.train.length < config.episode.ways) {
    throw new CoreError(
      'invalid_data',
      `${config.episode.ways}-way episodes need ${config.episode.ways} meta-train classes; the split has ${split.train.length}`,
    );
  }
  for (const warning of splitWarnings(split, config)) await opts.onWarning?.(warning);
  let params: Tensor[] = restored
    ? restored.params.map((values, i) => tf.tensor(values, learner.params[i].shape))
    : learner.init(new Random(streamSeed(config.seed, 'init')));
  const shapes = learner.params.map((p) => p.shape);
  const optimizer: OuterOptimizer =
    learner.outerRule === 'adam'
      ? adam(config.outer.lr, shapes, restored?.optimizer ?? undefined)
      : interpolate(config.outer.lr, config.outer.iterations, restored?.optimizer ?? undefined);
  const samplerRng = new Random(restored?.manifest.rng.sampler ?? streamSeed(config.seed, 'sampler'));
  const sampler = new EpisodeSampler(dataset, split.train, config.episode, samplerRng);
  let metrics: RunMetrics = restored?.manifest.metrics ?? {
    loss: NaN,
    accuracy: NaN,
    validationAccuracy: null,
    bestValidationAccuracy: null,
    bestIteration: null,
  };
  const taskBatch = resolveTaskBatch(config, dataset.rows.spec, backendName());
  let iteration = restored?.manifest.iteration ?? 0;
  let savedIteration = restored ? iteration : -1;

  const save = async (asBest: boolean) => {
    const name = checkpointName(iteration);
    const path = await writeCheckpoint(
      dir,
      name,
      {
        iteration,
        config,
        spec: dataset.rows.spec,
        dataset: { name: dataset.name, classNames: dataset.classNames },
        split,
        metrics,
        rng: { sampler: samplerRng.state },
        evaluation: null,
        backend: backendName(),
        ...(textFiles ? { text: textFiles.entry } : {}),
      },
      await Promise.all(learner.params.map(async (spec, i) => ({ spec, values: (await params[i].data()) as Float32Array }))),
      await optimizer.state(),
      textFiles?.files,
    );
    await writePointer(dir, 'latest', { checkpoint: name, iteration });
    if (asBest) await writePointer(dir, 'best', { checkpoint: name, iteration });
    await pruneCheckpoints(dir);
    savedIteration = iteration;
    await opts.onCheckpoint?.({ iteration, path });
  };

  const started = performance.now();
  let lastProgress: Progress | null = null;
  const startIteration = iteration;
  let status: TrainResult['status'] = 'completed';
  try {
    while (iteration < config.outer.iterations) {
      if (opts.signal?.aborted) {
        status = 'cancelled';
        break;
      }
      const episodes = Array.from({ length: config.outer.metaBatchSize }, () => sampler.next());
      const step = await metaStep(learner, optimizer, params, episodes, taskBatch);
      params = step.params;
      iteration += 1;
      metrics = { ...metrics, loss: step.loss, accuracy: step.accuracy };
      let improved = false;
      const validate = config.validation.every > 0 && iteration % config.validation.every === 0;
      if (validate) {
        const accuracy = await validationAccuracy(learner, params, dataset, split.validation, config, streamSeed(config.seed, 'validation'));
        if (accuracy !== null) {
          improved = metrics.bestValidationAccuracy === null || accuracy > metrics.bestValidationAccuracy;
          metrics = {
            ...metrics,
            validationAccuracy: accuracy,
            ...(improved ? { bestValidationAccuracy: accuracy, bestIteration: iteration } : {}),
          };
        }
      }
      const seconds = (performance.now() - started) / 1000;
      const perIteration = seconds / (iteration - startIteration);
      const progress: Progress = {
        iteration,
        iterations: config.outer.iterations,
        loss: metrics.loss,
        accuracy: metrics.accuracy,
        validationAccuracy: metrics.validationAccuracy,
        tasksPerSecond: (config.outer.metaBatchSize * (iteration - startIteration)) / seconds,
        etaSeconds: perIteration * (config.outer.iterations - iteration),
        phase: 'meta-training',
        evaluation: null,
      };
      lastProgress = progress;
      await opts.onProgress?.(progress);
      const noValidation = metrics.bestIteration === null;
      if (improved || (config.checkpointEvery > 0 && iteration % config.checkpointEvery === 0)) {
        await save(improved || noValidation);
      }
    }
    if (iteration !== savedIteration) await save(metrics.bestIteration === null);
  } finally {
    tf.dispose(params);
    optimizer.dispose();
  }

  const best = (await readPointer(dir, 'best')) ?? (await readPointer(dir, 'latest'));
  if (!best) throw new Error(`run in ${dir} ended without a checkpoint`);
  const bestCheckpoint = join(dir, best.checkpoint);
  let evaluation: EvaluationReport | null = null;
  if (status === 'completed' && config.evaluation.episodes > 0) {
    const phaseStarted = { baseline: 0, evaluation: 0 };
    const report = async (phase: 'baseline' | 'evaluation', done: number, total: number) => {
      if (!lastProgress || !opts.onProgress) return;
      phaseStarted[phase] ||= performance.now();
      const perStep = (performance.now() - phaseStarted[phase]) / 1000 / Math.max(done, 1);
      await opts.onProgress({
        ...lastProgress,
        phase,
        etaSeconds: perStep * (total - done),
        evaluation: phase === 'evaluation' ? { done, episodes: total } : null,
        ...(phase === 'baseline' ? { baseline: { done, steps: total } } : {}),
      });
    };
    evaluation = await evaluate(learner, bestCheckpoint, dataset, split, config, streamSeed(config.seed, 'test'), {
      signal: opts.signal,
      onBaselineStep: (done, steps) => report('baseline', done, steps),
      onEpisode: (done, episodes) => report('evaluation', done, episodes),
    });
    if (evaluation) await updateManifest(bestCheckpoint, { evaluation });
    if (opts.signal?.aborted) status = 'cancelled';
  }
  return {
    status,
    iterations: iteration,
    bestCheckpoint,
    bestValidationAccuracy: metrics.bestValidationAccuracy,
    evaluation,
  };
}
