// Reptile (Nichol, Achiam & Schulman 2018): adapt with several SGD steps on the task (support
// and query merged, as in the paper's "full batch" variant), then move the meta-weights
// towards the adapted ones. The direction θ − φ plays the gradient's role; the outer step size
// is annealed linearly to zero by the training loop.
import { tf, type Tensor } from '../tensor/tf.js';
import type { Network } from '../models/network.js';
import { adaptBySgd, sgdSteps, taskLogits } from './fast-weights.js';
import { networkParams, type InnerLoop, type MetaLearner, type TaskResult } from './learner.js';
import { perTask, queryPart, type TaskTensors } from './task.js';
import { crossEntropy } from '../tensor/ops.js';

export function reptile(network: Network, inner: InnerLoop): MetaLearner {
  return {
    algorithm: 'reptile',
    network,
    inner,
    ...networkParams(network),
    outerRule: 'interpolate',
    metaGradient(params: readonly Tensor[], task: TaskTensors): TaskResult {
      return tf.tidy(() => {
        const fast = sgdSteps(network, perTask(params, task.tasks), task.all, task.allTargets, inner.steps, inner.lr);
        // Progress reports the adapted weights' query loss, scored like at test time.
        const logits = taskLogits(network, fast, task.all, task.supportRows, task.ways);
        const scores = queryPart(logits, task.tasks, task.supportRows);
        const meanFast = task.tasks === 1 ? fast : fast.map((w) => tf.mean(w, 0));
        return {
          loss: crossEntropy(scores, task.queryTargets),
          predicted: tf.argMax(scores, 1),
          grads: params.map((w, i) => tf.sub(w, meanFast[i])),
        };
      });
    },
    adapt: (params, support, labels, ways, steps = inner.steps) =>
      adaptBySgd(network, params, support, labels, ways, steps, inner.lr),
  };
}
