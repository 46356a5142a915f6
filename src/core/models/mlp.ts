// Dense encoder for vectors and text features: Linear + ReLU per hidden width.
import { tf, type Tensor, type Tensor2D } from '../tensor/tf.js';
import { dense } from '../tensor/ops.js';
import type { Encoder } from './encoder.js';
import type { ParamSpec } from './params.js';

export function mlpEncoder(name: string, inputDim: number, hidden: readonly number[]): Encoder {
  const params: ParamSpec[] = hidden.flatMap((width, i) => [
    { name: `${name}.dense${i + 1}.w`, shape: [i === 0 ? inputDim : hidden[i - 1], width], init: 'he' as const },
    { name: `${name}.dense${i + 1}.b`, shape: [width], init: 'zeros' as const },
  ]);
  return {
    params,
    outDim: hidden.length ? hidden[hidden.length - 1] : inputDim,
    apply(p: readonly Tensor[], input: Tensor, tasks: number): Tensor2D {
      let h = input as Tensor2D;
      for (let i = 0; i < hidden.length; i++) h = tf.relu(dense(h, p[2 * i], p[2 * i + 1], tasks));
      return h;
    },
  };
}
