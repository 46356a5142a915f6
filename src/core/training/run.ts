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
import { splitClasses, withRotations } from '../episodes/splits.js';
import { readCheckpoint, readManifest, updateManifest, writeCheckpoint, type RunMetrics } from '../checkpoint/checkpoint.js';
import { textFeaturesFiles } from '../checkpoint/text-features.js';
import { checkpointName, pruneCheckpoints, readPointer, writePointer } from '../checkpoint/run-dir.js';
import { evaluate, validationAccuracy } from '../evaluation/evaluate.js';
import { metaStep } from './meta-step.js';
import { adam, interpolate, type OuterOptimizer } from './optimizer.js';
import { streamSeed } from './streams.js';
import { resolveTaskBatch } from './task-batch.js';
import { runText } from './run-text.js';
import { backendName } from '../tensor/backend.js';


/** The dataset's own split when its publisher defines one, else config.split's fractions. */
export function makeSplit(dataset: ClassDataset, config: TrainConfig): DataSplit {
  const split = dataset.split ?? splitClasses(dataset.classNames.length, config.split, new Random(streamSeed(config.seed, 'init')));
  const rotate = config.rotations && dataset.rows.spec.image !== undefined;
  return {
    train: withRotations(split.train, rotate),
    validation: withRotations(split.validation, rotate),
    // Rotations augment the classes learnt from; test classes stay as drawn (Lake et al.'s
    // evaluation, and the PyTorch reference's default).
    test: withRotations(split.test, false),
  };
}

export async function trainRun(opts: TrainRunOptions): Promise<TrainResult> {
  const { dir } = opts;
  await mkdir(dir, { recursive: true });
  const pointer = opts.resume ? await readPointer(dir, 'latest') : null;
  const latest = pointer && join(dir, pointer.checkpoint);
  const resumed = latest ? await readManifest(latest) : null;
  const split = resumed?.split ?? opts.split ?? makeSplit(opts.dataset, opts.config);
  const { dataset, config, text } = await runText(opts.dataset, opts.config, split, resumed && { path: latest!, manifest: resumed });
  const textFiles = text ? textFeaturesFiles(text) : null;
  const learner = learnerFor(dataset.rows.spec, config);
  const { network } = learner;
  const restored = latest ? await readCheckpoint(latest, network.params) : null;
  if (split.train.length < config.episode.ways) {
    throw new CoreError(
      'invalid_data',
      `${config.episode.ways}-way episodes need ${config.episode.ways} meta-train classes; the split has ${split.train.length}`,
    );
  }
  let params: Tensor[] = restored
    ? restored.params.map((values, i) => tf.tensor(values, network.params[i].shape))
    : network.init(new Random(streamSeed(config.seed, 'init')));
  const shapes = network.params.map((p) => p.shape);
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
      await Promise.all(network.params.map(async (spec, i) => ({ spec, values: (await params[i].data()) as Float32Array }))),
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
    const evaluationStarted = performance.now();
    const onEpisode = async (done: number, episodes: number) => {
      if (!lastProgress || !opts.onProgress) return;
      const perEpisode = (performance.now() - evaluationStarted) / 1000 / Math.max(done, 1);
      await opts.onProgress({ ...lastProgress, phase: 'evaluation', evaluation: { done, episodes }, etaSeconds: perEpisode * (episodes - done) });
    };
    evaluation = await evaluate(learner, bestCheckpoint, dataset, split, config, streamSeed(config.seed, 'test'), opts.signal, onEpisode);
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
