// MAML (Finn et al. 2017). Second order: the query loss of the adapted weights is
// differentiated through the inner SGD steps. First order drops those second derivatives and
// uses the query gradient at the adapted weights as the meta-gradient.
import { tf, type Tensor } from '../tensor/tf.js';
import { crossEntropy } from '../tensor/ops.js';
import type { Network } from '../models/network.js';
import { adaptBySgd, sgdSteps, taskLogits } from './fast-weights.js';
import { networkParams, type InnerLoop, type MetaLearner, type TaskResult } from './learner.js';
import { keptPredictions, perTask, queryPart, type TaskTensors } from './task.js';

export function maml(network: Network, inner: InnerLoop, firstOrder: boolean): MetaLearner {
  return {
    algorithm: firstOrder ? 'fomaml' : 'maml',
    network,
    inner,
    ...networkParams(network),
    outerRule: 'adam',
    metaGradient(params: readonly Tensor[], task: TaskTensors): TaskResult {
      let predicted: Tensor | null = null;
      // Mean over every task's query rows = mean over tasks of each task's query loss.
      const queryLoss = (weights: Tensor[]) => {
        const logits = taskLogits(network, weights, task.all, task.supportRows, task.ways);
        const scores = queryPart(logits, task.tasks, task.supportRows);
        predicted = keptPredictions(scores);
        return crossEntropy(scores, task.queryTargets);
      };
      const adapt = (weights: readonly Tensor[]) =>
        sgdSteps(network, perTask(weights, task.tasks), task.support, task.supportTargets, inner.steps, inner.lr);
      const { value, grads } = tf.tidy(() => {
        if (firstOrder) {
          // Adapting outside the outer gradient keeps the inner steps off its tape; the
          // per-task query gradients are then summed over the task axis.
          const fast = adapt(params);
          const result = tf.valueAndGrads((...weights: Tensor[]) => queryLoss(weights))(fast);
          return task.tasks === 1 ? result : { value: result.value, grads: result.grads.map((g) => tf.sum(g, 0)) };
        }
        return tf.valueAndGrads((...weights: Tensor[]) => queryLoss(adapt(weights)))([...params]);
      });
      return { loss: value, predicted: predicted!, grads };
    },
    adapt: (params, support, labels, ways, steps = inner.steps) =>
      adaptBySgd(network, params, support, labels, ways, steps, inner.lr),
  };
}
