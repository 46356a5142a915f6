import type { Tensor, Tensor2D } from '../tensor/tf.js';
import type { ParamSpec } from './params.js';

/** One modality's feature extractor: a slice of the network's parameter list and a forward. */
export interface Encoder {
  readonly params: readonly ParamSpec[];
  readonly outDim: number;
  /**
   * `statRows`: batch-norm statistics come from the first statRows rows (the support set).
   * `rowWeights`: [statRows] 0/1 marks which of those rows really have this modality.
   */
  apply(params: readonly Tensor[], input: Tensor, statRows: number, rowWeights?: Tensor): Tensor2D;
}
