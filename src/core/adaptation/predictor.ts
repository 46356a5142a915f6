// Serving: load a checkpoint once, then adapt to any support set in milliseconds and score
// queries against it. Validates what a client can get wrong about a support set.
import { tf, type Tensor } from '../tensor/tf.js';
import type { AdaptedTask, Predictor } from '../types.js';
import type { FeatureRows } from '../data/types.js';
import { MODALITIES } from '../data/types.js';
import { CoreError } from '../errors.js';
import { readCheckpoint, readManifest } from '../checkpoint/checkpoint.js';
import { readTextFeatures } from '../checkpoint/text-features.js';
import { featurize } from '../data/raw-examples.js';
import { learnerFor } from '../learners/from-config.js';

/**
 * Whether a model that serves at most `maxWays` labels can adapt to support rows of classes
 * `labels` (0..ways-1); callers that featurize support sets check before they pay for it.
 */
export function checkSupport(labels: Int32Array, ways: number, maxWays: number): void {
  if (ways < 2) throw new CoreError('unusable_support_set', 'the support set needs examples of at least two labels', { ways });
  if (ways > maxWays) {
    throw new CoreError('unusable_support_set', `this model serves at most ${maxWays} labels; the support set has ${ways}`, {
      maxWays,
      ways,
    });
  }
  const counts = new Array<number>(ways).fill(0);
  labels.forEach((label) => counts[label]++);
  const empty = counts.findIndex((c) => c === 0);
  if (empty >= 0) throw new CoreError('unusable_support_set', `label ${empty} has no support example`);
}

/**
 * A modality no support row has cannot be calibrated (its batch-norm statistics would be
 * empty), so queries are scored without it, from the modalities the support set shows.
 */
function withoutUnseenModalities(support: FeatureRows, query: FeatureRows): FeatureRows {
  const present = { ...query.present };
  for (const m of MODALITIES) {
    const supportPresent = support.present[m];
    if (supportPresent && !supportPresent.some((p) => p === 1)) present[m] = new Uint8Array(query.n);
  }
  return { ...query, present };
}

/**
 * Inputs can be finite yet large enough that the network overflows (a vector of 1e30s): the
 * scores come out NaN. That is the input's fault, so it is refused as such, not served.
 */
function finiteScores(scores: Float32Array): Float32Array {
  if (!scores.every(Number.isFinite)) {
    throw new CoreError('invalid_data', 'the model cannot score these examples: their values are so large that its computation overflows');
  }
  return scores;
}

export async function loadPredictor(checkpointPath: string): Promise<Predictor> {
  const manifest = await readManifest(checkpointPath);
  const { config, spec } = manifest;
  const learner = learnerFor(spec, config);
  const { params: values } = await readCheckpoint(checkpointPath, learner.params);
  const text = await readTextFeatures(checkpointPath, manifest);
  const params: Tensor[] = values.map((v, i) => tf.tensor(v, learner.params[i].shape));
  const maxWays = learner.network.outputs ?? Infinity;
  return {
    algorithm: config.algorithm,
    spec,
    featurize: (examples) => featurize(examples, spec, text ?? undefined),
    maxWays,
    defaultSteps: config.algorithm === 'protonet' ? 0 : config.inner.steps,
    adapt(support, labels, ways, steps): AdaptedTask {
      checkSupport(labels, ways, maxWays);
      const task = learner.adapt(params, support, labels, ways, steps);
      return {
        ways,
        predict: async (query) => finiteScores(await task.predict(withoutUnseenModalities(support, query))),
        dispose: () => task.dispose(),
      };
    },
    dispose: () => tf.dispose(params),
  };
}
