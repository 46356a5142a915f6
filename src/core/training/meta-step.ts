// One outer iteration: the mean of the per-task meta-gradients over a meta-batch, applied by
// the outer optimiser. Tasks run one after another; each task's tensors are freed before the
// next, so memory does not grow with the meta-batch size.
import { tf, type Tensor } from '../tensor/tf.js';
import type { Episode } from '../data/types.js';
import type { MetaLearner } from '../learners/learner.js';
import { accuracyOf, disposeTaskTensors, toTaskTensors } from '../learners/task.js';
import type { OuterOptimizer } from './optimizer.js';

export interface StepResult {
  params: Tensor[];
  loss: number;
  accuracy: number;
}

export async function metaStep(
  learner: MetaLearner,
  optimizer: OuterOptimizer,
  params: Tensor[],
  episodes: readonly Episode[],
): Promise<StepResult> {
  let sum: Tensor[] | null = null;
  const losses: Tensor[] = [];
  const predictions: Tensor[] = [];
  for (const episode of episodes) {
    const task = toTaskTensors(episode);
    try {
      const result = learner.metaGradient(params, task);
      losses.push(result.loss);
      predictions.push(result.predicted);
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
  const next = optimizer.step(params, mean);
  // Read back once per meta-batch, after the update has been queued.
  const [lossValues, predicted] = await Promise.all([
    Promise.all(losses.map((l) => l.data())),
    Promise.all(predictions.map((p) => p.data())),
  ]);
  tf.dispose([...losses, ...predictions]);
  const mean1 = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  return {
    params: next,
    loss: mean1(lossValues.map((v) => v[0])),
    accuracy: mean1(episodes.map((e, i) => accuracyOf(predicted[i], e.queryLabels))),
  };
}
