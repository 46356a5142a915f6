// Prototypical networks (Snell, Swersky & Zemel 2017): a class is the mean embedding of its
// support examples and a query's score is minus its squared distance to each prototype.
// Nothing is fine-tuned at test time, so any number of classes can be served.
import { tf, type Tensor, type Tensor2D } from '../tensor/tf.js';
import { crossEntropy, oneHot } from '../tensor/ops.js';
import { leadingRows, type Inputs } from '../models/inputs.js';
import type { Network } from '../models/network.js';
import { ScoredTask } from './fast-weights.js';
import type { InnerLoop, MetaLearner, TaskResult } from './learner.js';
import { keptPredictions, queryPart, type TaskTensors } from './task.js';

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
  const ways = supportTargets.shape[1];
  const flat = network.embed(params, all, supportRows);
  const d = flat.shape[1];
  const embeddings = tf.reshape(flat, [tasks, rows, d]);
  const support = tf.reshape(leadingRows(flat, tasks, rows, supportRows), [tasks, supportRows, d]);
  const targets = tf.reshape(supportTargets, [tasks, supportRows, ways]);
  const counts = tf.reshape(tf.sum(targets, 1), [tasks, ways, 1]);
  const prototypes = tf.div(tf.matMul(targets, support, true, false), counts);
  // −‖e − p‖² = 2 e·p − ‖p‖² − ‖e‖²
  const cross = tf.mul(tf.matMul(embeddings, prototypes, false, true), 2);
  const prototypeNorms = tf.reshape(tf.sum(tf.square(prototypes), 2), [tasks, 1, ways]);
  const embeddingNorms = tf.sum(tf.square(embeddings), 2, true);
  return tf.reshape(tf.sub(tf.sub(cross, prototypeNorms), embeddingNorms), [tasks * rows, ways]);
}

export function protonet(network: Network, inner: InnerLoop): MetaLearner {
  return {
    algorithm: 'protonet',
    network,
    inner,
    outerRule: 'adam',
    metaGradient(params: readonly Tensor[], task: TaskTensors): TaskResult {
      let predicted: Tensor | null = null;
      const { value, grads } = tf.tidy(() =>
        tf.valueAndGrads((...weights: Tensor[]) => {
          const all = prototypeScores(network, weights, task.all, task.supportRows, task.supportTargets);
          const scores = queryPart(all, task.tasks, task.supportRows);
          predicted = keptPredictions(scores);
          return crossEntropy(scores, task.queryTargets);
        })([...params]),
      );
      return { loss: value, predicted: predicted!, grads };
    },
    adapt(params, support, labels, ways) {
      const targets = oneHot(labels, ways);
      return new ScoredTask(ways, support, [...params.map((w) => tf.clone(w)), targets], (weights, all, supportRows) =>
        prototypeScores(network, weights.slice(0, -1), all, supportRows, weights[weights.length - 1] as Tensor2D),
      );
    },
  };
}
