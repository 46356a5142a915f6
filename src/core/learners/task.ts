// Episodes as tensors, in the two layouts the learners need: support rows alone (inner loop)
// and support followed by queries (query scores with support-set batch-norm statistics).
// Several episodes of one shape can be stacked along the rows, task after task, so that a
// whole meta-batch runs through one set of kernel calls.
import { tf, type Tensor, type Tensor2D } from '../tensor/tf.js';
import { crossEntropy, oneHot } from '../tensor/ops.js';
import type { Episode } from '../data/types.js';
import { concatRows } from '../data/rows.js';
import { concatTyped } from '../typed-arrays.js';
import { disposeInputs, toInputs, trailingRows, type Inputs } from '../models/inputs.js';
import type { TaskResult } from './learner.js';

export interface TaskTensors {
  readonly tasks: number;
  readonly ways: number;
  /** Support rows per task. */
  readonly supportRows: number;
  readonly support: Inputs;
  /** Per task: its support rows, then its query rows. */
  readonly all: Inputs;
  readonly supportTargets: Tensor2D;
  readonly queryTargets: Tensor2D;
  /** Per task: support targets, then query targets (Reptile trains on both). */
  readonly allTargets: Tensor2D;
  /** All tasks' query labels, task after task. */
  readonly queryLabels: Int32Array;
}

function joinLabels(parts: readonly Int32Array[]): Int32Array {
  return concatTyped(parts, (n) => new Int32Array(n));
}

/** Stacks episodes that share one shape (ways, shots, queries). */
export function toTaskTensors(episodes: Episode | readonly Episode[]): TaskTensors {
  const list: readonly Episode[] = Array.isArray(episodes) ? episodes : [episodes as Episode];
  const { ways } = list[0];
  return {
    tasks: list.length,
    ways,
    supportRows: list[0].support.n,
    support: toInputs(list.map((e) => e.support)),
    all: toInputs(list.map((e) => concatRows([e.support, e.query]))),
    supportTargets: oneHot(joinLabels(list.map((e) => e.supportLabels)), ways),
    queryTargets: oneHot(joinLabels(list.map((e) => e.queryLabels)), ways),
    allTargets: oneHot(joinLabels(list.flatMap((e) => [e.supportLabels, e.queryLabels])), ways),
    queryLabels: joinLabels(list.map((e) => e.queryLabels)),
  };
}

export function disposeTaskTensors(task: TaskTensors): void {
  disposeInputs(task.support);
  disposeInputs(task.all);
  tf.dispose([task.supportTargets, task.queryTargets, task.allTargets]);
}

/** The query rows of every task of [tasks·(support + query), k] scores. */
export function queryPart(scores: Tensor2D, tasks: number, supportRows: number): Tensor2D {
  return trailingRows(scores, tasks, scores.shape[0] / tasks, supportRows);
}

/**
 * θ with a leading task axis, one copy per task, for per-task fast weights. A broadcasting
 * multiply rather than tf.tile: its gradient (a sum over the task axis) exists at any rank,
 * and it is what turns the per-task losses into one meta-gradient.
 */
export function perTask(params: readonly Tensor[], tasks: number): Tensor[] {
  if (tasks === 1) return [...params];
  return params.map((p) => tf.mul(tf.expandDims(p, 0), tf.ones([tasks, ...p.shape.map(() => 1)])));
}

/** The highest-scoring label of every row, kept beyond the enclosing tidy/gradient scopes. */
export function keptPredictions(scores: Tensor2D): Tensor {
  return tf.keep(tf.argMax(scores, 1));
}

/**
 * The outer step most learners share: the mean query loss of the scores `queryScores` makes
 * from the meta-parameters, its gradient wrt them (through whatever adaptation it runs), and
 * the predictions.
 */
export function queryLossGradient(params: readonly Tensor[], task: TaskTensors, queryScores: (weights: Tensor[]) => Tensor2D): TaskResult {
  let predicted: Tensor | null = null;
  const { value, grads } = tf.tidy(() =>
    tf.valueAndGrads((...weights: Tensor[]) => {
      const scores = queryScores(weights);
      predicted = keptPredictions(scores);
      return crossEntropy(scores, task.queryTargets);
    })([...params]),
  );
  return { loss: value, predicted: predicted!, grads };
}

/** Fraction of rows whose predicted label is the true one. */
export function accuracyOf<T>(predicted: ArrayLike<T>, labels: ArrayLike<T>): number {
  let correct = 0;
  for (let i = 0; i < labels.length; i++) correct += predicted[i] === labels[i] ? 1 : 0;
  return labels.length ? correct / labels.length : 0;
}
