// tf.customGrad with lazy gradients. customGrad computes every input's gradient as soon as its
// node is reached, although the engine only asks for the inputs on the path from the variables
// being differentiated: a first convolution's gradient for its input images, or a spread mask's,
// is work thrown away (on conv4 a full convolution per step, twice more at second order). The
// engine's own kernel-function entry takes one gradient function per input and calls only
// those it needs; its type marks it private, hence the cast.
import { tf, type Tensor } from './tf.js';

export type Save = (tensors: Tensor[]) => void;

export interface Forward<O extends Tensor> {
  value: O;
  /** One function per input, in order; each is called only if that input's gradient is needed. */
  gradients: (dy: O, saved: Tensor[]) => (() => Tensor)[];
}

interface KernelFuncEngine {
  runKernelFunc(params: {
    forwardFunc: (backend: unknown, save: Save) => Tensor;
    backwardsFunc: (dy: Tensor, saved: Tensor[]) => Record<string, () => Tensor>;
    inputs: Record<string, Tensor>;
  }): Tensor;
}

/** `forward` runs with the tape off; what it saves comes back to `gradients` as `saved`. */
export function differentiable<I extends Tensor[], O extends Tensor>(
  forward: (save: Save, ...inputs: I) => Forward<O>,
): (...inputs: I) => O {
  return (...inputs: I) => {
    let result: Forward<O> | undefined;
    return (tf.engine() as unknown as KernelFuncEngine).runKernelFunc({
      forwardFunc: (_backend, save) => {
        result = forward(save, ...inputs);
        return result.value;
      },
      backwardsFunc: (dy, saved) => Object.fromEntries(result!.gradients(dy as O, saved).map((g, i) => [String(i), g])),
      inputs: Object.fromEntries(inputs.map((t, i) => [String(i), t])),
    }) as O;
  };
}
