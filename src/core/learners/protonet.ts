// Prototypical networks (Snell, Swersky & Zemel 2017): a class is the mean embedding of its
// support examples and a query's score is minus its squared distance to each prototype.
// Nothing is fine-tuned at test time, so any number of classes can be served.
import { tf, type Tensor, type Tensor2D } from '../tensor/tf.js';
import { crossEntropy, oneHot } from '../tensor/ops.js';
import type { Inputs } from '../models/inputs.js';
import type { Network } from '../models/network.js';
import { ScoredTask } from './fast-weights.js';
import type { InnerLoop, MetaLearner, TaskResult } from './learner.js';
import { keptPredictions, queryPart, type TaskTensors } from './task.js';

/** [n, ways] scores of every row of `all` against prototypes of its first supportRows rows. */
export function prototypeScores(
  network: Network,
  params: readonly Tensor[],
  all: Inputs,
  supportRows: number,
  supportTargets: Tensor2D,
): Tensor2D {
  const embeddings = network.embed(params, all, supportRows);
  const support = tf.slice(embeddings, [0, 0], [supportRows, embeddings.shape[1]]);
  const counts = tf.sum(supportTargets, 0);
  const prototypes = tf.div(tf.matMul(supportTargets, support, true, false), tf.reshape(counts, [-1, 1])) as Tensor2D;
  // −‖e − p‖² = 2 e·p − ‖p‖² − ‖e‖²
  const cross = tf.mul(tf.matMul(embeddings, prototypes, false, true), 2);
  const prototypeNorms = tf.reshape(tf.sum(tf.square(prototypes), 1), [1, -1]);
  const embeddingNorms = tf.sum(tf.square(embeddings), 1, true);
  return tf.sub(tf.sub(cross, prototypeNorms), embeddingNorms) as Tensor2D;
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
          const scores = queryPart(all, task.supportRows);
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
