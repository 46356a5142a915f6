// The interface every meta-learner implements (one small file per algorithm, as in
// learn2learn): a per-task meta-gradient for training, and adapt -> predict for serving.
import type { Algorithm } from '../config.js';
import type { AdaptedTask } from '../types.js';
import type { FeatureRows } from '../data/types.js';
import type { Network } from '../models/network.js';
import type { Params, ParamSpec } from '../models/params.js';
import type { Random } from '../random.js';
import type { Tensor } from '../tensor/tf.js';
import type { TaskTensors } from './task.js';

/**
 * Everything stays a tensor, so a meta-batch can be read back in one asynchronous batch
 * (GPU backends cannot read synchronously in Node, and each read stalls the device).
 * The caller disposes all of it.
 */
export interface TaskResult {
  /** Query loss after adaptation (scalar), for progress reports. */
  loss: Tensor;
  /** Predicted label of each query row after adaptation (int32). */
  predicted: Tensor;
  /** This task's contribution to the outer update, one tensor per parameter. */
  grads: Tensor[];
}

export interface InnerLoop {
  steps: number;
  lr: number;
}

export interface MetaLearner {
  readonly algorithm: Algorithm;
  readonly network: Network;
  readonly inner: InnerLoop;
  /**
   * What meta-training learns and a checkpoint stores, in this order: the network's
   * parameters, then any the algorithm learns itself (Meta-SGD's learning rates). The `params`
   * that metaGradient and adapt take are these.
   */
  readonly params: readonly ParamSpec[];
  init(rng: Random): Params;
  /** Reptile's update is a step towards the adapted weights, the others follow Adam. */
  readonly outerRule: 'adam' | 'interpolate';
  metaGradient(params: readonly Tensor[], task: TaskTensors): TaskResult;
  /** Fine-tune a clone of `params` on a support set; the result owns its tensors. */
  adapt(params: readonly Tensor[], support: FeatureRows, labels: Int32Array, ways: number, steps?: number): AdaptedTask;
}

/** The parameters of a learner that learns nothing besides its network. */
export function networkParams(network: Network): Pick<MetaLearner, 'params' | 'init'> {
  return { params: network.params, init: network.init };
}
