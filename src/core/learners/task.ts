// One episode as tensors, in the two layouts the learners need: the support rows alone (inner
// loop) and support followed by queries (query scores with support-set batch-norm statistics).
import { tf, type Tensor, type Tensor2D } from '../tensor/tf.js';
import { oneHot } from '../tensor/ops.js';
import type { Episode } from '../data/types.js';
import { concatRows, disposeInputs, toInputs, type Inputs } from '../models/inputs.js';

export interface TaskTensors {
  readonly ways: number;
  readonly supportRows: number;
  readonly support: Inputs;
  /** Support rows, then query rows. */
  readonly all: Inputs;
  readonly supportTargets: Tensor2D;
  readonly queryTargets: Tensor2D;
  /** Support targets, then query targets (Reptile trains on both). */
  readonly allTargets: Tensor2D;
  readonly queryLabels: Int32Array;
}

export function toTaskTensors(episode: Episode): TaskTensors {
  const allLabels = new Int32Array(episode.supportLabels.length + episode.queryLabels.length);
  allLabels.set(episode.supportLabels);
  allLabels.set(episode.queryLabels, episode.supportLabels.length);
  return {
    ways: episode.ways,
    supportRows: episode.support.n,
    support: toInputs(episode.support),
    all: toInputs(concatRows(episode.support, episode.query)),
    supportTargets: oneHot(episode.supportLabels, episode.ways),
    queryTargets: oneHot(episode.queryLabels, episode.ways),
    allTargets: oneHot(allLabels, episode.ways),
    queryLabels: episode.queryLabels,
  };
}

export function disposeTaskTensors(task: TaskTensors): void {
  disposeInputs(task.support);
  disposeInputs(task.all);
  tf.dispose([task.supportTargets, task.queryTargets, task.allTargets]);
}

/** The query rows of [support + query, k] scores. */
export function queryPart(scores: Tensor2D, supportRows: number): Tensor2D {
  return tf.slice(scores, [supportRows, 0], [scores.shape[0] - supportRows, scores.shape[1]]);
}

/** The highest-scoring label of every row, kept beyond the enclosing tidy/gradient scopes. */
export function keptPredictions(scores: Tensor2D): Tensor {
  return tf.keep(tf.argMax(scores, 1));
}

/** Fraction of rows whose predicted label is the true one. */
export function accuracyOf(predicted: ArrayLike<number>, labels: Int32Array): number {
  let correct = 0;
  labels.forEach((label, i) => (correct += predicted[i] === label ? 1 : 0));
  return labels.length ? correct / labels.length : 0;
}
