// The one place the core imports TensorFlow.js from. tfjs-core's Node bundle registers no
// gradients, and its ESM gradient modules use directory imports that Node's ESM loader rejects,
// so they are loaded through require (tsx transpiles them; they register into tfjs's global
// registry, shared with the main bundle). tfjs 4.22's own gradients for ops that save their
// *output* are wrong at second order, so ours replace them afterwards (second-order.ts).
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import { registerSecondOrderGradients } from './second-order.js';

createRequire(import.meta.url)('@tensorflow/tfjs-core/dist/register_all_gradients.js');
registerSecondOrderGradients(tf);

export { tf };

/** Tensors alive now, for probes that check every tensor is disposed (0 before a backend exists). */
export const liveTensors = (): number => (tf.engine().backendName ? tf.memory().numTensors : 0);
export type Tensor = tf.Tensor;
export type Scalar = tf.Scalar;
export type Tensor2D = tf.Tensor2D;
export type Tensor4D = tf.Tensor4D;
