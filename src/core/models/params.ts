// Models are functional: parameters are an explicit list of tensors, so a meta-learner can
// differentiate through an inner loop that replaces them.
import { tf, type Tensor } from '../tensor/tf.js';
import type { Random } from '../random.js';

export type Params = Tensor[];

export interface ParamSpec {
  readonly name: string;
  readonly shape: number[];
  /** A number: every entry starts at that value (Meta-SGD's learning rates). */
  readonly init: 'he' | 'glorot-head' | 'zeros' | 'ones' | number;
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function initParam(spec: ParamSpec, rng: Random): Tensor {
  const n = sizeOf(spec.shape);
  const values = new Float32Array(n);
  if (typeof spec.init === 'number') values.fill(spec.init);
  else if (spec.init === 'ones') values.fill(1);
  else if (spec.init !== 'zeros') {
    // fan-in is every axis but the last: [kh, kw, cin, cout] or [in, out]
    const fanIn = n / spec.shape[spec.shape.length - 1];
    const scale = Math.sqrt((spec.init === 'he' ? 2 : 1) / fanIn);
    for (let i = 0; i < n; i++) values[i] = rng.normal() * scale;
  }
  return tf.tensor(values, spec.shape);
}
