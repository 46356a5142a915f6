// Meta-SGD (Li, Zhou, Chen & Li 2017): MAML whose inner step size is learnt too, one rate per
// weight, so the meta-learner chooses the direction and the size of each adaptation step
// along with the initialisation. The rates are parameters like the weights (Adam updates
// them, checkpoints store them, serving adapts with them); they start at the configured inner
// lr, so the first iteration is MAML's. The outer gradient reaches them through the inner
// steps, exactly second order.
import type { Tensor } from '../tensor/tf.js';
import type { Network } from '../models/network.js';
import { initParam, type ParamSpec } from '../models/params.js';
import { adaptBySgd, sgdSteps, taskLogits } from './fast-weights.js';
import type { InnerLoop, MetaLearner, TaskResult } from './learner.js';
import { perTask, queryLossGradient, queryPart, type TaskTensors } from './task.js';

export function metaSgd(network: Network, inner: InnerLoop): MetaLearner {
  const n = network.params.length;
  const rates: ParamSpec[] = network.params.map((p) => ({ name: `${p.name}.lr`, shape: p.shape, init: inner.lr }));
  const params = [...network.params, ...rates];
  return {
    algorithm: 'metasgd',
    network,
    inner,
    params,
    // The rates draw nothing from rng: the weights start as a MAML run's with the same seed.
    init: (rng) => params.map((spec) => initParam(spec, rng)),
    outerRule: 'adam',
    metaGradient: (all: readonly Tensor[], task: TaskTensors): TaskResult =>
      queryLossGradient(all, task, (learnt) => {
        // Per-task weights, shared rates: each rate's gradient sums over the tasks.
        const fast = sgdSteps(network, perTask(learnt.slice(0, n), task.tasks), task.support, task.supportTargets, inner.steps, learnt.slice(n));
        return queryPart(taskLogits(network, fast, task.all, task.supportRows, task.ways), task.tasks, task.supportRows);
      }),
    adapt: (all, support, labels, ways, steps = inner.steps) =>
      adaptBySgd(network, all.slice(0, n), support, labels, ways, steps, all.slice(n)),
  };
}
