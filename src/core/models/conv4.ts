// The Omniglot/MAML image encoder: blocks of [3×3 conv, normalisation, ReLU, 2×2 max-pool].
// No conv bias: the normalisation's shift makes it redundant.
import { tf, type Tensor, type Tensor2D, type Tensor4D } from '../tensor/tf.js';
import { convSame, convSamePerTask, maxPool2 } from '../tensor/ops.js';
import type { Norm } from '../config.js';
import type { Encoder } from './encoder.js';
import { normalize, normParams } from './normalization.js';
import type { ParamSpec } from './params.js';

export function conv4Encoder(
  image: { height: number; width: number; channels: number },
  filters: number,
  norm: Norm,
  blocks = 4,
): Encoder {
  const params: ParamSpec[] = [];
  let height = image.height;
  let width = image.width;
  for (let b = 0; b < blocks; b++) {
    const cin = b === 0 ? image.channels : filters;
    params.push({ name: `image.block${b + 1}.conv`, shape: [3, 3, cin, filters], init: 'he' }, ...normParams(`image.block${b + 1}.bn`, filters, norm));
    height = Math.floor(height / 2);
    width = Math.floor(width / 2);
  }
  const stride = params.length / blocks;
  if (height < 1 || width < 1) throw new Error(`a ${image.height}×${image.width} image is too small for ${blocks} pooling blocks`);
  return {
    params,
    outDim: height * width * filters,
    apply(p: readonly Tensor[], input: Tensor, tasks: number, statRows: number, rowWeights?: Tensor): Tensor2D {
      let h = input as Tensor4D;
      for (let b = 0; b < blocks; b++) {
        const w = p[stride * b];
        h = w.rank === 4 ? convSame(h, w as Tensor4D) : convSamePerTask(h, w, tasks);
        h = normalize(norm, h, p.slice(stride * b + 1, stride * (b + 1)), tasks, statRows, rowWeights);
        // ReLU after the pooling, on a quarter of the values: max-pooling commutes with any
        // non-decreasing function, so this is the same block, forward and backward.
        h = tf.relu(maxPool2(h));
      }
      return tf.reshape(h, [h.shape[0], -1]);
    },
  };
}
