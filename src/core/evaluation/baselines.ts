// The two baselines of Chen et al., "A Closer Look at Few-shot Classification" (2019), scored
// on the same episodes as the meta-learner:
// (a) scratch: the same network, freshly initialised, trained on each support set alone;
// (b) pretrained: the network trained with plain supervised learning on every meta-train
//     class, then a new linear head fitted on each support set's frozen embeddings.
import { tf, type Scalar, type Tensor, type Tensor2D } from '../tensor/tf.js';
import { crossEntropy, oneHot } from '../tensor/ops.js';
import type { TrainConfig } from '../config.js';
import type { ClassDataset, ClassView, Episode, InputSpec, Rotation } from '../data/types.js';
import { gatherRows } from '../episodes/gather.js';
import { sgdSteps, taskLogits } from '../learners/fast-weights.js';
import { accuracyOf, disposeTaskTensors, queryPart, toTaskTensors, type TaskTensors } from '../learners/task.js';
import { disposeInputs, toInputs } from '../models/inputs.js';
import { buildNetwork } from '../models/network.js';
import { Random } from '../random.js';
import { adam } from '../training/optimizer.js';
import { turn } from '../event-loop.js';

const SCRATCH = { steps: 50, lr: 0.1 };
const HEAD = { steps: 100, lr: 0.5 };
const PRETRAIN = { batch: 64, lr: 1e-3 };

/**
 * Scores a group of episodes of one shape together, as the meta-batches are: the tasks are
 * stacked along the rows and per-task weights get a leading task axis, so a group costs one set
 * of kernel calls instead of one per episode. Each episode's numbers are those it would get alone.
 */
export interface Baseline {
  /** Query accuracy of each episode, in order. */
  accuracies(episodes: readonly Episode[]): Promise<number[]>;
  dispose(): void;
}

/** Per task, the fraction of its query rows whose highest score is the true label. */
async function taskAccuracies(scores: Tensor2D, task: TaskTensors): Promise<number[]> {
  const predicted = tf.tidy(() => tf.argMax(queryPart(scores, task.tasks, task.supportRows), 1));
  try {
    const labels = await predicted.data();
    const perTask = task.queryLabels.length / task.tasks;
    return Array.from({ length: task.tasks }, (_, t) =>
      accuracyOf(labels.subarray(t * perTask, (t + 1) * perTask), task.queryLabels.subarray(t * perTask, (t + 1) * perTask)),
    );
  } finally {
    predicted.dispose();
  }
}

async function scoreGroup(episodes: readonly Episode[], scores: (task: TaskTensors) => Tensor2D): Promise<number[]> {
  const task = toTaskTensors(episodes);
  try {
    const logits = tf.tidy(() => scores(task));
    try {
      return await taskAccuracies(logits, task);
    } finally {
      logits.dispose();
    }
  } finally {
    disposeTaskTensors(task);
  }
}

export function scratchBaseline(spec: InputSpec, config: TrainConfig, seed: number): Baseline {
  const network = buildNetwork(spec, config.model, config.episode.ways);
  const rng = new Random(seed);
  return {
    async accuracies(episodes) {
      // Drawn in episode order, so an episode's initialisation does not depend on its group.
      const inits = episodes.map(() => network.init(rng));
      try {
        return await scoreGroup(episodes, (task) => {
          const stacked = task.tasks === 1 ? inits[0] : network.params.map((_, i) => tf.stack(inits.map((init) => init[i])));
          const fast = sgdSteps(network, stacked, task.support, task.supportTargets, SCRATCH.steps, SCRATCH.lr);
          return taskLogits(network, fast, task.all, task.supportRows, task.ways);
        });
      } finally {
        tf.dispose(inits.flat());
      }
    },
    dispose: () => undefined,
  };
}

/**
 * Supervised pre-training on (possibly rotated) meta-train classes, one label per view.
 * `onStep(done, steps)` follows its progress.
 */
async function pretrain(
  dataset: ClassDataset,
  views: readonly ClassView[],
  config: TrainConfig,
  rng: Random,
  signal?: AbortSignal,
  onStep?: (done: number, steps: number) => Promise<void> | void,
) {
  const network = buildNetwork(dataset.rows.spec, config.model, views.length);
  const members: number[][] = Array.from({ length: dataset.classNames.length }, () => []);
  dataset.labels.forEach((label, row) => members[label].push(row));
  let params = network.init(rng);
  const optimizer = adam(PRETRAIN.lr, network.params.map((p) => p.shape));
  // As many updates as meta-training made, so neither side gets a bigger optimisation budget.
  const steps = pretrainSteps(config);
  await onStep?.(0, steps);
  for (let step = 0; step < steps && !signal?.aborted; step++) {
    await turn();
    const labels = Int32Array.from({ length: PRETRAIN.batch }, () => rng.int(views.length));
    const rows = Array.from(labels, (v) => members[views[v].classId][rng.int(members[views[v].classId].length)]);
    const turns = Array.from(labels, (v): Rotation => views[v].rotation);
    const inputs = toInputs(gatherRows(dataset.rows, rows, turns));
    const targets = oneHot(labels, views.length);
    const grads = tf.tidy(() =>
      tf.grads((...w: Tensor[]): Scalar => crossEntropy(network.logits(w, inputs, inputs.rows), targets))(params),
    );
    disposeInputs(inputs);
    targets.dispose();
    params = optimizer.step(params, grads);
    await onStep?.(step + 1, steps);
  }
  optimizer.dispose();
  return { network, params };
}

/** Updates of the baseline's supervised pre-training. */
export const pretrainSteps = (config: TrainConfig) => config.outer.iterations;

export async function pretrainBaseline(
  dataset: ClassDataset,
  views: readonly ClassView[],
  config: TrainConfig,
  seed: number,
  signal?: AbortSignal,
  onStep?: (done: number, steps: number) => Promise<void> | void,
): Promise<Baseline> {
  const { network, params } = await pretrain(dataset, views, config, new Random(seed), signal, onStep);
  return {
    accuracies: (episodes) =>
      scoreGroup(episodes, (task) => {
        const { tasks, ways, supportRows } = task;
        const d = network.embeddingDim;
        // Frozen features: support rows for fitting the heads, support + queries (with the
        // support set's batch-norm statistics) for scoring them.
        const features = tf.reshape(network.embed(params, task.support, supportRows), [tasks, supportRows, d]);
        const targets = task.supportTargets;
        const headLogits = (x: Tensor, w: Tensor, b: Tensor) => tf.reshape(tf.add(tf.matMul(x, w), b), [-1, ways]) as Tensor2D;
        let w: Tensor = tf.zeros([tasks, d, ways]);
        let b: Tensor = tf.zeros([tasks, 1, ways]);
        for (let s = 0; s < HEAD.steps; s++) {
          // Summed over tasks, each task's head follows the gradient of its own mean loss.
          const [gw, gb] = tf.grads((wi: Tensor, bi: Tensor): Scalar => tf.mul(crossEntropy(headLogits(features, wi, bi), targets), tasks) as Scalar)([w, b]);
          w = tf.sub(w, tf.mul(gw, HEAD.lr));
          b = tf.sub(b, tf.mul(gb, HEAD.lr));
        }
        const all = tf.reshape(network.embed(params, task.all, supportRows), [tasks, task.all.rows, d]);
        return headLogits(all, w, b);
      }),
    dispose: () => tf.dispose(params),
  };
}
