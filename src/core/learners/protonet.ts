// Prototypical networks (Snell, Swersky & Zemel 2017): a class is the mean embedding of its
// support examples and a query's score is minus its squared distance to each prototype.
// Nothing is fine-tuned at test time, so any number of classes can be served.
import { tf, type Tensor, type Tensor2D } from '../tensor/tf.js';
import { oneHot, SupportMoments } from '../tensor/ops.js';
import { disposeInputs, leadingRows, toInputs, type Inputs } from '../models/inputs.js';
import type { Network } from '../models/network.js';
import { ScoredTask } from './fast-weights.js';
import { networkParams, type InnerLoop, type MetaLearner, type TaskResult } from './learner.js';
import { queryLossGradient, queryPart, type TaskTensors } from './task.js';

/** [tasks, ways, d]: per task, the class means of the embeddings of its first supportRows rows. */
function prototypesOf(flat: Tensor2D, tasks: number, rows: number, supportRows: number, supportTargets: Tensor2D): Tensor {
  const ways = supportTargets.shape[1];
  const d = flat.shape[1];
  const support = tf.reshape(leadingRows(flat, tasks, rows, supportRows), [tasks, supportRows, d]);
  const targets = tf.reshape(supportTargets, [tasks, supportRows, ways]);
  const counts = tf.reshape(tf.sum(targets, 1), [tasks, ways, 1]);
  return tf.div(tf.matMul(targets, support, true, false), counts);
}

/** [tasks·rows, ways]: minus the squared distance of every row's embedding to its task's prototypes. */
function distanceScores(flat: Tensor2D, prototypes: Tensor, tasks: number, rows: number): Tensor2D {
  const ways = prototypes.shape[1] as number;
  const embeddings = tf.reshape(flat, [tasks, rows, flat.shape[1]]);
  // −‖e − p‖² = 2 e·p − ‖p‖² − ‖e‖²
  const cross = tf.mul(tf.matMul(embeddings, prototypes, false, true), 2);
  const prototypeNorms = tf.reshape(tf.sum(tf.square(prototypes), 2), [tasks, 1, ways]);
  const embeddingNorms = tf.sum(tf.square(embeddings), 2, true);
  return tf.reshape(tf.sub(tf.sub(cross, prototypeNorms), embeddingNorms), [tasks * rows, ways]);
}

/**
 * [tasks·rows, ways] scores of every row of `all` against the prototypes of its task, built
 * from that task's first supportRows rows.
 */
export function prototypeScores(
  network: Network,
  params: readonly Tensor[],
  all: Inputs,
  supportRows: number,
  supportTargets: Tensor2D,
): Tensor2D {
  const { tasks, rows } = all;
  const flat = network.embed(params, all, supportRows);
  return distanceScores(flat, prototypesOf(flat, tasks, rows, supportRows, supportTargets), tasks, rows);
}

export function protonet(network: Network, inner: InnerLoop): MetaLearner {
  return {
    algorithm: 'protonet',
    network,
    inner,
    ...networkParams(network),
    outerRule: 'adam',
    metaGradient: (params: readonly Tensor[], task: TaskTensors): TaskResult =>
      queryLossGradient(params, task, (weights) =>
        queryPart(prototypeScores(network, weights, task.all, task.supportRows, task.supportTargets), task.tasks, task.supportRows),
      ),
    adapt(params, support, labels, ways) {
      // The prototypes and the support set's batch-norm moments are made once, here: a
      // prediction then runs the queries through the network and nothing else.
      const targets = oneHot(labels, ways);
      const inputs = toInputs(support);
      const moments = new SupportMoments();
      try {
        const prototypes = tf.tidy(() => moments.run(() => prototypesOf(network.embed(params, inputs, inputs.rows), 1, inputs.rows, inputs.rows, targets)));
        return new ScoredTask(
          ways,
          support,
          [...params.map((w) => tf.clone(w)), prototypes],
          (weights, rows, statRows) => distanceScores(network.embed(weights.slice(0, -1), rows, statRows), weights[weights.length - 1], 1, rows.rows),
          moments,
        );
      } finally {
        disposeInputs(inputs);
        targets.dispose();
      }
    },
  };
}
