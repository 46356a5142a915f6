// The two baselines of Chen et al., "A Closer Look at Few-shot Classification" (2019), scored
// on the same episodes as the meta-learner:
// (a) scratch: the same network, freshly initialised, trained on each support set alone;
// (b) pretrained: the network trained with plain supervised learning on every meta-train
//     class, then a new linear head fitted on each support set's frozen embeddings.
import { tf, type Scalar, type Tensor, type Tensor2D } from '../tensor/tf.js';
import { crossEntropy, oneHot } from '../tensor/ops.js';
import type { AdaptedTask } from '../types.js';
import type { TrainConfig } from '../config.js';
import type { ClassDataset, ClassView, Episode, InputSpec, Rotation } from '../data/types.js';
import { gatherRows } from '../episodes/gather.js';
import { adaptBySgd, ScoredTask } from '../learners/fast-weights.js';
import { disposeInputs, toInputs } from '../models/inputs.js';
import { buildNetwork } from '../models/network.js';
import { Random } from '../random.js';
import { adam } from '../training/optimizer.js';
import { turn } from '../event-loop.js';

const SCRATCH = { steps: 50, lr: 0.1 };
const HEAD = { steps: 100, lr: 0.5 };
const PRETRAIN = { batch: 64, lr: 1e-3 };

export interface Baseline {
  solve(episode: Episode): AdaptedTask;
  dispose(): void;
}

export function scratchBaseline(spec: InputSpec, config: TrainConfig, seed: number): Baseline {
  const network = buildNetwork(spec, config.model, config.episode.ways);
  const rng = new Random(seed);
  return {
    solve(episode) {
      const init = network.init(rng);
      try {
        return adaptBySgd(network, init, episode.support, episode.supportLabels, episode.ways, SCRATCH.steps, SCRATCH.lr);
      } finally {
        tf.dispose(init);
      }
    },
    dispose: () => undefined,
  };
}

/** Supervised pre-training on (possibly rotated) meta-train classes, one label per view. */
async function pretrain(dataset: ClassDataset, views: readonly ClassView[], config: TrainConfig, rng: Random, signal?: AbortSignal) {
  const network = buildNetwork(dataset.rows.spec, config.model, views.length);
  const members: number[][] = Array.from({ length: dataset.classNames.length }, () => []);
  dataset.labels.forEach((label, row) => members[label].push(row));
  let params = network.init(rng);
  const optimizer = adam(PRETRAIN.lr, network.params.map((p) => p.shape));
  // As many updates as meta-training made, so neither side gets a bigger optimisation budget.
  for (let step = 0; step < config.outer.iterations && !signal?.aborted; step++) {
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
  }
  optimizer.dispose();
  return { network, params };
}

export async function pretrainBaseline(
  dataset: ClassDataset,
  views: readonly ClassView[],
  config: TrainConfig,
  seed: number,
  signal?: AbortSignal,
): Promise<Baseline> {
  const { network, params } = await pretrain(dataset, views, config, new Random(seed), signal);
  return {
    solve(episode) {
      const { ways } = episode;
      const inputs = toInputs(episode.support);
      const targets = oneHot(episode.supportLabels, ways);
      try {
        const head = tf.tidy(() => {
          const features = network.embed(params, inputs, inputs.rows);
          let w: Tensor = tf.zeros([network.embeddingDim, ways]);
          let b: Tensor = tf.zeros([ways]);
          for (let s = 0; s < HEAD.steps; s++) {
            const [gw, gb] = tf.grads((wi: Tensor, bi: Tensor): Scalar =>
              crossEntropy(tf.add(tf.matMul(features, wi as Tensor2D), bi) as Tensor2D, targets),
            )([w, b]);
            w = tf.sub(w, tf.mul(gw, HEAD.lr));
            b = tf.sub(b, tf.mul(gb, HEAD.lr));
          }
          return [w, b];
        });
        const frozen = params.map((p) => tf.clone(p));
        return new ScoredTask(ways, episode.support, [...frozen, ...head], (weights, all, supportRows) => {
          const embedding = network.embed(weights.slice(0, -2), all, supportRows);
          return tf.add(tf.matMul(embedding, weights[weights.length - 2] as Tensor2D), weights[weights.length - 1]) as Tensor2D;
        });
      } finally {
        disposeInputs(inputs);
        targets.dispose();
      }
    },
    dispose: () => tf.dispose(params),
  };
}
