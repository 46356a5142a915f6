// Gradients that replace tfjs-core 4.22's own.
//
// tfjs-core 4.22 records higher-order gradients wrongly for kernels whose gradient saves the
// kernel's own output (Exp, Softmax, Tanh, Sigmoid, ...): the saved output is a clone whose tape
// node lands *before* the kernel's node, so an outer tf.grads silently drops that path and
// "second-order" MAML quietly becomes first-order. Re-registering these gradients to save the
// inputs and recompute the output keeps every path on the tape (verified against finite
// differences in test/core/learners/gradcheck.test.ts).
import type * as tfc from '@tensorflow/tfjs-core';

type Tf = typeof tfc;

/**
 * Sum's and Mean's gradient: dy (reduced axes kept as 1s) spread back over the input's shape.
 * tfjs multiplies dy by a ones tensor that it builds in JavaScript on every call (on conv4's
 * first activations, 4M ones written one by one, then a full multiply); a broadcast writes the
 * result once. The broadcast is wrapped so that its own gradient is the sum over the same axes
 * (tfjs's Tile gradient is a loop of slices, and fails beyond rank 4).
 */
function spreadOver(tf: Tf, dy: tfc.Tensor, x: tfc.Tensor, axes: number[]): tfc.Tensor {
  const kept = x.shape.map((d, axis) => (axes.includes(axis) ? 1 : d));
  const spread = tf.customGrad((...args: (tfc.Tensor | tfc.GradSaveFunc)[]) => ({
    value: tf.broadcastTo(args[0] as tfc.Tensor, x.shape),
    gradFunc: (upstream: tfc.Tensor) => tf.sum(upstream, axes, true),
  }));
  return spread(tf.reshape(dy, kept));
}

export function registerSecondOrderGradients(tf: Tf): void {
  // Mean divides before the spread: on the reduced values, not on the full shape.
  for (const [kernelName, mean] of [['Sum', false], ['Mean', true]] as const) {
    tf.registerGradient({
      kernelName,
      inputsToSave: ['x'],
      gradFunc: (dy, saved, attrs) => {
        const x = saved[0];
        const axes = tf.util.parseAxisParam((attrs as { axis: number | number[] }).axis, x.shape);
        const count = axes.reduce((n, axis) => n * x.shape[axis], 1);
        return { x: () => spreadOver(tf, mean ? tf.div(dy as tfc.Tensor, count) : (dy as tfc.Tensor), x, axes) };
      },
    });
  }
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
