// One outer iteration: the mean of the per-task meta-gradients over a meta-batch, applied by
// the outer optimiser. Tasks run one after another; each task's tensors are freed before the
// next, so memory does not grow with the meta-batch size.
import { tf, type Tensor } from '../tensor/tf.js';
import type { Episode } from '../data/types.js';
import type { MetaLearner } from '../learners/learner.js';
import { disposeTaskTensors, toTaskTensors } from '../learners/task.js';
import type { OuterOptimizer } from './optimizer.js';

export interface StepResult {
  params: Tensor[];
  loss: number;
  accuracy: number;
}

export function metaStep(
  learner: MetaLearner,
  optimizer: OuterOptimizer,
  params: Tensor[],
  episodes: readonly Episode[],
): StepResult {
  let sum: Tensor[] | null = null;
  let loss = 0;
  let accuracy = 0;
  for (const episode of episodes) {
    const task = toTaskTensors(episode);
    try {
      const result = learner.metaGradient(params, task);
      loss += result.loss;
      accuracy += result.accuracy;
      if (sum === null) sum = result.grads;
      else {
        const previous: Tensor[] = sum;
        sum = tf.tidy(() => previous.map((s, i) => tf.add(s, result.grads[i])));
        tf.dispose([...previous, ...result.grads]);
      }
    } finally {
      disposeTaskTensors(task);
    }
  }
  if (sum === null) throw new Error('a meta-batch needs at least one episode');
  const total = sum;
  const mean = tf.tidy(() => total.map((s) => tf.div(s, episodes.length)));
  tf.dispose(total);
  return {
    params: optimizer.step(params, mean),
    loss: loss / episodes.length,
    accuracy: accuracy / episodes.length,
  };
}
