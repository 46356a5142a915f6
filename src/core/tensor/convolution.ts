// Stride-1 'same' convolutions, differentiable at any order, for one filter (convSame) or one
// filter per stacked task (convSamePerTask).
//
// Each is a closed family of three bilinear maps whose gradients are made of the others:
//   conv(x, w)   = Σ_uvc w[u,v,c,o]·x[b,i+u,j+v,c]
//   data(g, w)   = Σ_uvo w[u,v,c,o]·g[b,i-u,j-v,o]   (conv's gradient for x)
//   filter(x, g) = Σ_bij x[b,i+u,j+v,c]·g[b,i,j,o]   (conv's gradient for w)
// with, for an upstream G,
//   conv → (data(G, w), filter(x, G));  data → (conv(G, w), filter(G, g));  filter → (data(g, G), conv(x, G)).
// tfjs's own conv gradient ends in kernels without gradients of their own. How each map is
// computed depends on the backend:
// - where all three are native kernels (native: one oneDNN primitive each; cpu), in 'same'
//   form: Conv2D, Conv2DBackpropInput, Conv2DBackpropFilter, and for stacked tasks the native
//   backend's per-task versions of them (one call for every task's convolution);
// - elsewhere, from the forward Conv2D alone, in 'valid' form on an input padded beforehand:
//   wasm lacks Conv2DBackpropFilter and runs its Conv2DBackpropInput as a naive loop. data is
//   then a convolution with the flipped, transposed filter over a (k-1)-padded g, and filter a
//   convolution of xᵀ with gᵀ. Writing filter's gradients out matters: left to autodiff they
//   become convolutions with image-sized kernels over zero-padded inputs (20× the work).
//   Stacked tasks there are an im2col and a batched matmul.
import { tf, type Tensor, type Tensor4D } from './tf.js';
import { differentiable } from './differentiable.js';

/** The native backend's per-task kernels: x [tasks·n, H, W, C] with filters [tasks, KH, KW, C, O]. */
export const TASK_CONV = {
  conv: 'FewshotTaskConv2D',
  data: 'FewshotTaskConv2DBackpropInput',
  filter: 'FewshotTaskConv2DBackpropFilter',
} as const;

type Bilinear = (a: Tensor4D, b: Tensor4D) => Tensor4D;

interface ConvFamily {
  conv: Bilinear;
  data: Bilinear;
  filter: Bilinear;
}

/** The family's differentiable maps, from how each is computed forward. */
function closedFamily(forward: ConvFamily): ConvFamily {
  const family: ConvFamily = {
    conv: differentiable((save, x: Tensor4D, w: Tensor4D) => {
      save([x, w]);
      return {
        value: forward.conv(x, w),
        gradients: (dy: Tensor4D, [xs, ws]) => [() => family.data(dy, ws as Tensor4D), () => family.filter(xs as Tensor4D, dy)],
      };
    }),
    data: differentiable((save, g: Tensor4D, w: Tensor4D) => {
      save([g, w]);
      return {
        value: forward.data(g, w),
        gradients: (dy: Tensor4D, [gs, ws]) => [() => family.conv(dy, ws as Tensor4D), () => family.filter(dy, gs as Tensor4D)],
      };
    }),
    filter: differentiable((save, x: Tensor4D, g: Tensor4D) => {
      save([x, g]);
      return {
        value: forward.filter(x, g),
        gradients: (dy: Tensor4D, [xs, gs]) => [() => family.data(gs as Tensor4D, dy), () => family.conv(xs as Tensor4D, dy)],
      };
    }),
  };
  return family;
}

// A filter rotated by 180°, as a permutation matmul: wasm's Reverse kernel takes 4 ms on a
// 3×3×64×64 filter, 50× this.
function flipSpatially(w: Tensor4D): Tensor4D {
  const [kh, kw, ci, co] = w.shape;
  const taps = kh * kw;
  const antiIdentity = new Float32Array(taps * taps);
  for (let i = 0; i < taps; i++) antiIdentity[i * taps + taps - 1 - i] = 1;
  const flipped = tf.matMul(tf.tensor2d(antiIdentity, [taps, taps]), tf.reshape(w, [taps, ci * co]));
  return tf.reshape(flipped, [kh, kw, ci, co]);
}

const validFamily = closedFamily({
  conv: (x, w) => tf.conv2d(x, w, 1, 'valid'),
  data: (g, w) => {
    const [kh, kw] = w.shape;
    const padded = tf.pad(g, [
      [0, 0],
      [kh - 1, kh - 1],
      [kw - 1, kw - 1],
      [0, 0],
    ]) as Tensor4D;
    return tf.conv2d(padded, tf.transpose(flipSpatially(w), [0, 1, 3, 2]) as Tensor4D, 1, 'valid');
  },
  filter: (x, g) =>
    tf.transpose(
      tf.conv2d(tf.transpose(x, [3, 1, 2, 0]) as Tensor4D, tf.transpose(g, [1, 2, 0, 3]) as Tensor4D, 1, 'valid'),
      [1, 2, 0, 3],
    ) as Tensor4D,
});

const SAME = { strides: 1, pad: 'same', dataFormat: 'NHWC', dimRoundingMode: undefined };

function runKernel(name: string, inputs: Record<string, Tensor>, attrs: Record<string, unknown> = {}): Tensor4D {
  return tf.engine().runKernel(name, inputs as tf.NamedTensorMap, { ...SAME, ...attrs } as unknown as tf.NamedAttrMap) as Tensor4D;
}

// The 'same' forms need the filter's size for `filter` (it cannot be read off x and g as in
// 'valid'), and the per-task form the number of tasks: one family of each per such key.
const sameFamilies = new Map<string, ConvFamily>();

function sameFamily(kh: number, kw: number): ConvFamily {
  const key = `${kh}x${kw}`;
  let family = sameFamilies.get(key);
  if (!family) {
    family = closedFamily({
      conv: (x, w) => tf.conv2d(x, w, 1, 'same'),
      data: (g, w) => runKernel('Conv2DBackpropInput', { dy: g, filter: w }, { inputShape: [...g.shape.slice(0, 3), w.shape[2]] }),
      filter: (x, g) => runKernel('Conv2DBackpropFilter', { x, dy: g }, { filterShape: [kh, kw, x.shape[3], g.shape[3]] }),
    });
    sameFamilies.set(key, family);
  }
  return family;
}

function perTaskFamily(kh: number, kw: number, tasks: number): ConvFamily {
  const key = `${kh}x${kw}/${tasks}`;
  let family = sameFamilies.get(key);
  if (!family) {
    // Filters carry the task axis in front: [tasks, KH, KW, C, O], seen as rank 4 by the family's types.
    family = closedFamily({
      conv: (x, w) => runKernel(TASK_CONV.conv, { x, filter: w }),
      data: (g, w) => runKernel(TASK_CONV.data, { dy: g, filter: w }),
      filter: (x, g) => runKernel(TASK_CONV.filter, { x, dy: g }, { filterShape: [tasks, kh, kw, x.shape[3], g.shape[3]] }),
    });
    sameFamilies.set(key, family);
  }
  return family;
}

/** Backends whose three convolution kernels are all native (see above). */
const SAME_FORM_BACKENDS = new Set(['native', 'cpu']);

/** 'same'-padded stride-1 convolution with an odd kernel, differentiable at any order. */
export function convSame(x: Tensor4D, w: Tensor4D): Tensor4D {
  const [kh, kw] = w.shape;
  if (SAME_FORM_BACKENDS.has(tf.getBackend())) return sameFamily(kh, kw).conv(x, w);
  const p = (kh - 1) / 2;
  const q = (kw - 1) / 2;
  return validFamily.conv(
    tf.pad(x, [
      [0, 0],
      [p, p],
      [q, q],
      [0, 0],
    ]) as Tensor4D,
    w,
  );
}

/**
 * 'same' convolution of stacked tasks, each with its own filter: x [tasks·n, H, W, C],
 * w [tasks, KH, KW, C, F].
 */
export function convSamePerTask(x: Tensor4D, w: Tensor, tasks: number): Tensor4D {
  const [, kh, kw] = w.shape;
  if (tf.getKernel(TASK_CONV.conv, tf.getBackend())) return perTaskFamily(kh, kw, tasks).conv(x, w as unknown as Tensor4D);
  return im2colPerTask(x, w, tasks);
}

// tfjs has no grouped convolution: each task's convolution as an im2col (nine shifted slices)
// times its filter, as a batched matmul. Slices, concat and matmul all have gradients that are
// themselves differentiable, so this stays exact at any order without a custom gradient.
function im2colPerTask(x: Tensor4D, w: Tensor, tasks: number): Tensor4D {
  const [rows, height, width, channels] = x.shape;
  const [, kh, kw, , filters] = w.shape as [number, number, number, number, number];
  const padded = tf.pad(x, [
    [0, 0],
    [(kh - 1) / 2, (kh - 1) / 2],
    [(kw - 1) / 2, (kw - 1) / 2],
    [0, 0],
  ]);
  const shifted: Tensor[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) shifted.push(tf.slice(padded, [0, i, j, 0], [rows, height, width, channels]));
  }
  const columns = tf.reshape(tf.concat(shifted, 3), [tasks, (rows / tasks) * height * width, kh * kw * channels]);
  const out = tf.matMul(columns, tf.reshape(w, [tasks, kh * kw * channels, filters]));
  return tf.reshape(out, [rows, height, width, filters]);
}
