import type { Tensor, Tensor2D } from '../tensor/tf.js';
import type { ParamSpec } from './params.js';

/** One modality's feature extractor: a slice of the network's parameter list and a forward. */
export interface Encoder {
  readonly params: readonly ParamSpec[];
  readonly outDim: number;
  /**
   * `input` stacks `tasks` tasks along its rows. Parameters are shared, or per task with a
   * leading task axis. Batch-norm statistics come from each task's first `statRows` rows
   * (its support set); `rowWeights` ([tasks·statRows], 0/1) marks which of those rows
   * really have this modality.
   */
  apply(params: readonly Tensor[], input: Tensor, tasks: number, statRows: number, rowWeights?: Tensor): Tensor2D;
}
