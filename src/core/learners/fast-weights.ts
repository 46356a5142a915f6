// Gradient-based adaptation shared by MAML, first-order MAML, Reptile and the from-scratch
// baseline: plain SGD on a copy of the weights, differentiable when run under an outer tape.
import { tf, type Scalar, type Tensor, type Tensor2D } from '../tensor/tf.js';
import { crossEntropy, oneHot, SupportMoments } from '../tensor/ops.js';
import type { AdaptedTask } from '../types.js';
import type { FeatureRows } from '../data/types.js';
import { concatRows } from '../data/rows.js';
import { disposeInputs, toInputs, type Inputs } from '../models/inputs.js';
import type { Network } from '../models/network.js';
import { queryPart } from './task.js';

/** Scores for the first `ways` outputs: a support set may use fewer labels than the head has. */
export function taskLogits(
  network: Network,
  params: readonly Tensor[],
  inputs: Inputs,
  statRows: number,
  ways: number,
): Tensor2D {
  const logits = network.logits(params, inputs, statRows);
  return ways === logits.shape[1] ? logits : tf.slice(logits, [0, 0], [logits.shape[0], ways]);
}

/**
 * `steps` SGD steps on the cross-entropy of `inputs` (batch-norm statistics over all its rows).
 * Under an enclosing tf.grads the inner gradients stay on that tape, which makes the outer
 * gradient exact second order. With stacked tasks and per-task weights, each task's slice of
 * the weights follows its own loss: the summed loss's gradient wrt that slice is exactly it.
 */
export function sgdSteps(
  network: Network,
  params: readonly Tensor[],
  inputs: Inputs,
  targets: Tensor2D,
  steps: number,
  lr: StepSizes,
): Tensor[] {
  const ways = targets.shape[1];
  return descend(
    (weights) => tf.mul(crossEntropy(taskLogits(network, weights, inputs, inputs.rows, ways), targets), inputs.tasks) as Scalar,
    params,
    steps,
    lr,
  );
}

/** One step size for every weight, or a tensor of them per parameter (Meta-SGD), broadcast over a task axis. */
export type StepSizes = number | readonly Tensor[];

/** `steps` SGD steps on `loss`; on the tape of an enclosing tf.grads, like sgdSteps. */
export function descend(loss: (weights: Tensor[]) => Scalar, params: readonly Tensor[], steps: number, lr: StepSizes): Tensor[] {
  let current = [...params];
  for (let s = 0; s < steps; s++) {
    const grads = tf.grads((...weights: Tensor[]) => loss(weights))(current);
    current = current.map((w, i) => tf.sub(w, tf.mul(grads[i], typeof lr === 'number' ? lr : lr[i])));
  }
  return current;
}

/**
 * An adapted task whose scores come from a head over (support + query) rows. With `moments`,
 * a row's score depends on that row and the support set's batch-norm moments only: once they
 * are recorded (by the first prediction, or by the learner beforehand), queries are scored on
 * their own.
 */
export class ScoredTask implements AdaptedTask {
  private disposed = false;

  constructor(
    readonly ways: number,
    private readonly support: FeatureRows,
    private readonly weights: Tensor[],
    private readonly score: (weights: readonly Tensor[], all: Inputs, supportRows: number) => Tensor2D,
    private readonly moments: SupportMoments | null = null,
  ) {}

  async predict(query: FeatureRows): Promise<Float32Array> {
    if (this.disposed) throw new Error('this adapted task was disposed');
    const alone = this.moments?.recorded ?? false;
    const rows = toInputs(alone ? query : concatRows([this.support, query]));
    let probabilities: Tensor;
    try {
      probabilities = tf.tidy(() => {
        const scores = () =>
          alone ? this.score(this.weights, rows, query.n) : queryPart(this.score(this.weights, rows, this.support.n), 1, this.support.n);
        return tf.softmax(this.moments ? this.moments.run(scores) : scores());
      });
    } finally {
      disposeInputs(rows);
    }
    try {
      return (await probabilities.data()) as Float32Array;
    } finally {
      probabilities.dispose();
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    tf.dispose(this.weights);
    this.moments?.dispose();
  }
}

/** Fine-tune a copy of `params` on a support set with SGD, as MAML does at test time. */
export function adaptBySgd(
  network: Network,
  params: readonly Tensor[],
  support: FeatureRows,
  labels: Int32Array,
  ways: number,
  steps: number,
  lr: StepSizes,
): AdaptedTask {
  const inputs = toInputs(support);
  const targets = oneHot(labels, ways);
  try {
    const fast = tf.tidy(() => sgdSteps(network, params, inputs, targets, steps, lr).map((w) => tf.clone(w)));
    // Logits are per row: after the first prediction, queries are scored on their own.
    return new ScoredTask(ways, support, fast, (weights, all, supportRows) => taskLogits(network, weights, all, supportRows, ways), new SupportMoments());
  } finally {
    disposeInputs(inputs);
    targets.dispose();
  }
}
