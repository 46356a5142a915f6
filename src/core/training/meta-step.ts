// One outer iteration: the mean of the per-task meta-gradients over a meta-batch, applied by
// the outer optimiser. `taskBatch` tasks at a time are stacked and computed together (fast
// weights get a leading task axis), which cuts kernel launches; their tensors are freed
// before the next group, so memory grows with taskBatch, not with the meta-batch.
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

function groups<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export async function metaStep(
  learner: MetaLearner,
  optimizer: OuterOptimizer,
  params: Tensor[],
  episodes: readonly Episode[],
  taskBatch = 1,
): Promise<StepResult> {
  if (episodes.length === 0) throw new Error('a meta-batch needs at least one episode');
  let sum: Tensor[] | null = null;
  const reads: { share: number; loss: Tensor; predicted: Tensor; labels: Int32Array }[] = [];
  for (const group of groups(episodes, Math.max(1, taskBatch))) {
    const task = toTaskTensors(group);
    try {
      const result = learner.metaGradient(params, task);
      // Each group's result is a mean over its tasks; weighting by its share of the
      // meta-batch makes the total the mean over all tasks whatever the grouping.
      const share = group.length / episodes.length;
      reads.push({ share, loss: result.loss, predicted: result.predicted, labels: task.queryLabels });
      const previous: Tensor[] | null = sum;
      sum = tf.tidy(() => result.grads.map((g, i) => (previous ? tf.add(previous[i], tf.mul(g, share)) : tf.mul(g, share))));
      tf.dispose([...(previous ?? []), ...result.grads]);
    } finally {
      disposeTaskTensors(task);
    }
  }
  const next = optimizer.step(params, sum!);
  // Read back once per meta-batch, after the update has been queued.
  const values = await Promise.all(reads.map(async (r) => ({ loss: await r.loss.data(), predicted: await r.predicted.data() })));
  tf.dispose(reads.flatMap((r) => [r.loss, r.predicted]));
  return {
    params: next,
    loss: reads.reduce((total, r, i) => total + r.share * values[i].loss[0], 0),
    accuracy: reads.reduce((total, r, i) => total + r.share * accuracyOf(values[i].predicted, r.labels), 0),
  };
}
