// Reptile (Nichol, Achiam & Schulman 2018): adapt with several SGD steps on the task (support
// and query merged, as in the paper's "full batch" variant), then move the meta-weights
// towards the adapted ones. The direction θ − φ plays the gradient's role; the outer step size
// is annealed linearly to zero by the training loop.
import { tf, type Tensor } from '../tensor/tf.js';
import type { Network } from '../models/network.js';
import { adaptBySgd, sgdSteps, taskLogits } from './fast-weights.js';
import type { InnerLoop, MetaLearner, TaskResult } from './learner.js';
import { queryPart, type TaskTensors } from './task.js';
import { crossEntropy } from '../tensor/ops.js';

export function reptile(network: Network, inner: InnerLoop): MetaLearner {
  return {
    algorithm: 'reptile',
    network,
    inner,
    outerRule: 'interpolate',
    metaGradient(params: readonly Tensor[], task: TaskTensors): TaskResult {
      return tf.tidy(() => {
        const fast = sgdSteps(network, params, task.all, task.allTargets, inner.steps, inner.lr);
        // Progress reports the adapted weights' query loss, scored like at test time.
        const scores = queryPart(taskLogits(network, fast, task.all, task.supportRows, task.ways), task.supportRows);
        return {
          loss: crossEntropy(scores, task.queryTargets),
          predicted: tf.argMax(scores, 1),
          grads: params.map((w, i) => tf.sub(w, fast[i])),
        };
      });
    },
    adapt: (params, support, labels, ways, steps = inner.steps) =>
      adaptBySgd(network, params, support, labels, ways, steps, inner.lr),
  };
}
