// tfjs-core 4.22 records higher-order gradients wrongly for kernels whose gradient saves the
// kernel's own output (Exp, Softmax, Tanh, Sigmoid, ...): the saved output is a clone whose tape
// node lands *before* the kernel's node, so an outer tf.grads silently drops that path and
// "second-order" MAML quietly becomes first-order. Re-registering these gradients to save the
// inputs and recompute the output keeps every path on the tape (verified against finite
// differences in test/core/tensor/gradcheck.test.ts).
import type * as tfc from '@tensorflow/tfjs-core';

type Tf = typeof tfc;

export function registerSecondOrderGradients(tf: Tf): void {
  tf.registerGradient({
    kernelName: 'Exp',
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => ({ x: () => tf.mul(dy as tfc.Tensor, tf.exp(saved[0])) }),
  });
  tf.registerGradient({
    kernelName: 'Tanh',
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => ({
      x: () => tf.mul(dy as tfc.Tensor, tf.sub(1, tf.square(tf.tanh(saved[0])))),
    }),
  });
  tf.registerGradient({
    kernelName: 'Sigmoid',
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => ({
      x: () => {
        const y = tf.sigmoid(saved[0]);
        return tf.mul(dy as tfc.Tensor, tf.mul(y, tf.sub(1, y)));
      },
    }),
  });
  tf.registerGradient({
    kernelName: 'Softmax',
    inputsToSave: ['logits'],
    gradFunc: (dy, saved, attrs) => ({
      logits: () => {
        const dim = (attrs as { dim: number }).dim;
        const y = tf.softmax(saved[0], dim);
        const dyy = tf.mul(dy as tfc.Tensor, y);
        return tf.sub(dyy, tf.mul(tf.sum(dyy, [dim], true), y));
      },
    }),
  });
}
