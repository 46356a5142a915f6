// MAML (Finn et al. 2017). Second order: the query loss of the adapted weights is
// differentiated through the inner SGD steps. First order drops those second derivatives and
// uses the query gradient at the adapted weights as the meta-gradient.
import { tf, type Tensor } from '../tensor/tf.js';
import { crossEntropy } from '../tensor/ops.js';
import type { Network } from '../models/network.js';
import { adaptBySgd, sgdSteps, taskLogits } from './fast-weights.js';
import type { InnerLoop, MetaLearner, TaskResult } from './learner.js';
import { keptPredictions, queryPart, type TaskTensors } from './task.js';

export function maml(network: Network, inner: InnerLoop, firstOrder: boolean): MetaLearner {
  return {
    algorithm: firstOrder ? 'fomaml' : 'maml',
    network,
    inner,
    outerRule: 'adam',
    metaGradient(params: readonly Tensor[], task: TaskTensors): TaskResult {
      let predicted: Tensor | null = null;
      const queryLoss = (weights: Tensor[]) => {
        const scores = queryPart(taskLogits(network, weights, task.all, task.supportRows, task.ways), task.supportRows);
        predicted = keptPredictions(scores);
        return crossEntropy(scores, task.queryTargets);
      };
      const adapt = (weights: readonly Tensor[]) =>
        sgdSteps(network, weights, task.support, task.supportTargets, inner.steps, inner.lr);
      const { value, grads } = tf.tidy(() => {
        if (firstOrder) {
          // Adapting outside the outer gradient keeps the inner steps off its tape.
          const fast = adapt(params);
          return tf.valueAndGrads((...weights: Tensor[]) => queryLoss(weights))(fast);
        }
        return tf.valueAndGrads((...weights: Tensor[]) => queryLoss(adapt(weights)))([...params]);
      });
      return { loss: value, predicted: predicted!, grads };
    },
    adapt: (params, support, labels, ways, steps = inner.steps) =>
      adaptBySgd(network, params, support, labels, ways, steps, inner.lr),
  };
}
