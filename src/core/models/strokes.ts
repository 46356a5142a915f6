// The pen-strokes encoder: a drawing's resampled points (see data/strokes.ts) read as a 1-D
// sequence by blocks of [1×5 conv, normalisation, ReLU, average-pool by 2]. The convolutions are
// conv4's image convolutions on a one-pixel-high image, so they inherit its exact gradients at
// any order; the pooling is a reshape and a mean, linear and differentiable at any order too.
import { tf, type Tensor, type Tensor2D, type Tensor4D } from '../tensor/tf.js';
import { convSame, convSamePerTask } from '../tensor/ops.js';
import { STROKE_CHANNELS } from '../data/strokes.js';
import type { Norm } from '../config.js';
import type { Encoder } from './encoder.js';
import { normalize, normParams } from './normalization.js';
import type { ParamSpec } from './params.js';

const KERNEL = 5;
const BLOCKS = 3;

/** Means of neighbouring pairs along the sequence ([n, 1, L, C] -> [n, 1, floor(L/2), C]); an odd last point is dropped. */
function averagePool(h: Tensor4D): Tensor4D {
  const [n, , length, channels] = h.shape;
  const half = Math.floor(length / 2);
  const even = length % 2 ? tf.slice(h, [0, 0, 0, 0], [n, 1, 2 * half, channels]) : h;
  return tf.reshape(tf.mean(tf.reshape(even, [n, half, 2, channels]), 2), [n, 1, half, channels]);
}

export function strokesEncoder(points: number, filters: number, norm: Norm): Encoder {
  const params: ParamSpec[] = [];
  let length = points;
  for (let b = 0; b < BLOCKS; b++) {
    params.push(
      { name: `strokes.block${b + 1}.conv`, shape: [1, KERNEL, b === 0 ? STROKE_CHANNELS : filters, filters], init: 'he' },
      ...normParams(`strokes.block${b + 1}.bn`, filters, norm),
    );
    length = Math.floor(length / 2);
  }
  const stride = params.length / BLOCKS;
  if (length < 1) throw new Error(`${points} stroke points are too few for ${BLOCKS} pooling blocks`);
  return {
    params,
    outDim: length * filters,
    apply(p: readonly Tensor[], input: Tensor, tasks: number, statRows: number, rowWeights?: Tensor): Tensor2D {
      const rows = input.shape[0];
      let h = tf.reshape(input, [rows, 1, points, STROKE_CHANNELS]) as Tensor4D;
      for (let b = 0; b < BLOCKS; b++) {
        const w = p[stride * b];
        h = w.rank === 4 ? convSame(h, w as Tensor4D) : convSamePerTask(h, w, tasks);
        h = normalize(norm, h, p.slice(stride * b + 1, stride * (b + 1)), tasks, statRows, rowWeights);
        h = averagePool(tf.relu(h));
      }
      return tf.reshape(h, [rows, -1]);
    },
  };
}
