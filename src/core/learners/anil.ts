// ANIL (Raghu, Raghu, Bengio & Vinyals 2020, "Almost No Inner Loop"): only the head adapts in
// the inner loop; the encoder's features are used as they are. Each task's rows go through the
// encoder once and the inner steps run on those embeddings, so adapting costs one forward pass
// and a few small matrix products, in training and in serving alike. The outer loop trains
// everything: its gradient is exact second order through the head's steps (cheap: the head is
// one dense layer) and reaches the encoder through the embeddings.
import { tf, type Scalar, type Tensor, type Tensor2D } from '../tensor/tf.js';
import { crossEntropy, dense, oneHot, SupportMoments } from '../tensor/ops.js';
import { disposeInputs, leadingRows, toInputs } from '../models/inputs.js';
import type { Network } from '../models/network.js';
import { descend, ScoredTask } from './fast-weights.js';
import { networkParams, type InnerLoop, type MetaLearner, type TaskResult } from './learner.js';
import { perTask, queryLossGradient, queryPart, type TaskTensors } from './task.js';

/** The head after `steps` SGD steps on embedded support rows (per task when `head` has a task axis). */
function adaptHead(features: Tensor2D, head: readonly Tensor[], targets: Tensor2D, tasks: number, steps: number, lr: number): Tensor[] {
  // × tasks: the gradient of the mean over all tasks' rows wrt one task's head is 1/tasks of its own.
  const loss = ([w, b]: Tensor[]) => tf.mul(crossEntropy(dense(features, w, b, tasks), targets), tasks) as Scalar;
  return descend(loss, head, steps, lr);
}

export function anil(network: Network, inner: InnerLoop): MetaLearner {
  // The head's weight and bias, next to each other (network.ts). The encoder ignores them, so
  // network.embed can take the whole list.
  const head = network.params.findIndex((p) => p.name === 'head.w');
  return {
    algorithm: 'anil',
    network,
    inner,
    ...networkParams(network),
    outerRule: 'adam',
    metaGradient: (params: readonly Tensor[], task: TaskTensors): TaskResult =>
      queryLossGradient(params, task, (weights) => {
        const embedded = network.embed(weights, task.all, task.supportRows);
        const support = leadingRows(embedded, task.tasks, task.all.rows, task.supportRows);
        const headWeights = perTask(weights.slice(head, head + 2), task.tasks);
        const [w, b] = adaptHead(support, headWeights, task.supportTargets, task.tasks, inner.steps, inner.lr);
        return queryPart(dense(embedded, w, b, task.tasks), task.tasks, task.supportRows);
      }),
    adapt(params, support, labels, ways, steps = inner.steps) {
      // The support set is embedded once, with its batch-norm moments recorded: a prediction
      // then runs the queries through the encoder and the adapted head, as ProtoNets' does.
      const inputs = toInputs(support);
      const targets = oneHot(labels, ways);
      const moments = new SupportMoments();
      try {
        const adapted = tf.tidy(() => {
          const features = moments.run(() => network.embed(params, inputs, inputs.rows));
          const [w, b] = params.slice(head, head + 2);
          // A support set may use fewer labels than the head has outputs.
          const used = [tf.slice(w, [0, 0], [w.shape[0], ways]), tf.slice(b, [0], [ways])];
          return adaptHead(features, used, targets, 1, steps, inner.lr).map((t) => tf.clone(t));
        });
        return new ScoredTask(
          ways,
          support,
          params.map((p, i) => (i === head ? adapted[0] : i === head + 1 ? adapted[1] : tf.clone(p))),
          (weights, rows, statRows) => dense(network.embed(weights, rows, statRows), weights[head], weights[head + 1], 1),
          moments,
        );
      } finally {
        disposeInputs(inputs);
        targets.dispose();
      }
    },
  };
}
