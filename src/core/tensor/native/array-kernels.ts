// Elementwise, reduction and data-movement kernels over float32 tensors, multi-threaded and
// vectorised in the addon. Batch norm, ReLU, the max-pool masks and every broadcast's gradient
// are made of these; on the CPU backend they are single-threaded JavaScript loops.
import { WINDOW_KERNELS } from '../ops.js';
import { tf } from '../tf.js';
import { ints, type NativeKernel } from './backend.js';

// Operation codes of native/src/elementwise.cc.
const BINARY = { Add: 0, Sub: 1, Multiply: 2, RealDiv: 3, Maximum: 4, Minimum: 5, SquaredDifference: 6, Pow: 7 } as const;
const BROADCAST = 8;
const UNARY = { Relu: 0, Step: 1, Neg: 2, Square: 3, Sqrt: 4, Rsqrt: 5, Exp: 6, Log: 7, Abs: 8, Sigmoid: 9, Tanh: 10 } as const;

function binary(op: number): NativeKernel {
  return ({ inputs, backend }) => {
    const { a, b } = inputs;
    const [av, bv] = [backend.floats(a), backend.floats(b)];
    if (!av || !bv) return null;
    const shape = tf.broadcast_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const out = backend.output(shape);
    backend.addon.binary(op, av, ints(a.shape), bv, ints(b.shape), out.values, ints(shape));
    return out.info;
  };
}

function unary(op: number): NativeKernel {
  return ({ inputs, attrs, backend }) => {
    const x = inputs.x;
    const xv = backend.floats(x);
    if (!xv) return null;
    const out = backend.output(x.shape);
    backend.addon.unary(op, xv, out.values, (attrs.alpha as number | undefined) ?? 0);
    return out.info;
  };
}

function transposed(backend: Parameters<NativeKernel>[0]['backend'], x: tf.TensorInfo, xv: Float32Array, perm: number[]) {
  const out = backend.output(perm.map((axis) => x.shape[axis]));
  backend.addon.transpose(xv, ints(x.shape), ints(perm), out.values);
  return out;
}

/** Sum (op 0) or mean (op 1) over axes; non-adjacent axes are first transposed together. */
function reduction(op: 0 | 1): NativeKernel {
  return ({ inputs, attrs, backend }) => {
    const x = inputs.x;
    let xv = backend.floats(x);
    if (!xv || xv.length === 0) return null;
    const rank = x.shape.length;
    const axes = tf.util.parseAxisParam(attrs.axis as number | number[], x.shape).sort((p, q) => p - q);
    const kept = x.shape.map((d, axis) => (axes.includes(axis) ? 1 : d));
    const outShape = attrs.keepDims ? kept : x.shape.filter((_, axis) => !axes.includes(axis));
    let shape = x.shape;
    let temporary: tf.TensorInfo | null = null;
    const adjacent = axes.length === 0 || axes[axes.length - 1] - axes[0] + 1 === axes.length;
    if (!adjacent) {
      const perm = [...x.shape.keys()].filter((axis) => !axes.includes(axis)).concat(axes);
      const moved = transposed(backend, x, xv, perm);
      temporary = moved.info;
      xv = moved.values;
      shape = temporary.shape;
    }
    const first = adjacent ? (axes[0] ?? rank) : rank - axes.length;
    const last = first + axes.length;
    const size = (from: number, to: number) => tf.util.sizeFromShape(shape.slice(from, to));
    const out = backend.output(outShape);
    backend.addon.reduce(op, xv, ints([size(0, first), size(first, last), size(last, rank)]), out.values);
    if (temporary) backend.disposeIntermediateTensorInfo(temporary);
    return out.info;
  };
}

// Tile where it is a broadcast (every tiled axis has length 1): what Sum's gradient runs
// (second-order.ts). Real tiling falls back.
const tile: NativeKernel = ({ inputs, attrs, backend }) => {
  const x = inputs.x;
  const xv = backend.floats(x);
  const reps = attrs.reps as number[];
  if (!xv || x.shape.some((d, axis) => d !== 1 && reps[axis] !== 1)) return null;
  const shape = x.shape.map((d, axis) => d * reps[axis]);
  const out = backend.output(shape);
  backend.addon.binary(BROADCAST, xv, ints(x.shape), xv, ints(x.shape), out.values, ints(shape));
  return out.info;
};

const transpose: NativeKernel = ({ inputs, attrs, backend }) => {
  const x = inputs.x;
  const xv = backend.floats(x);
  return xv ? transposed(backend, x, xv, attrs.perm as number[]).info : null;
};

// Always a copy: the CPU backend's contiguous slice is a view of its input, which would pin the
// input's array (buffers.ts) for as long as the slice lives.
const slice: NativeKernel = ({ inputs, attrs, backend }) => {
  const x = inputs.x;
  const xv = backend.floats(x);
  if (!xv) return null;
  const [begin, size] = tf.slice_util.parseSliceParams(x as tf.Tensor, attrs.begin as number[], attrs.size as number | number[]);
  const out = backend.output(size);
  if (out.values.length > 0) backend.addon.copy(xv, ints(x.shape), ints(begin), out.values, ints(size), ints(size.map(() => 0)), ints(size));
  return out.info;
};

const pad: NativeKernel = ({ inputs, attrs, backend }) => {
  const x = inputs.x;
  const xv = backend.floats(x);
  if (!xv) return null;
  const paddings = attrs.paddings as [number, number][];
  const shape = x.shape.map((d, axis) => paddings[axis][0] + d + paddings[axis][1]);
  const out = backend.output(shape);
  backend.addon.fill(out.values, attrs.constantValue as number);
  if (xv.length > 0) backend.addon.copy(xv, ints(x.shape), ints(x.shape.map(() => 0)), out.values, ints(shape), ints(paddings.map((p) => p[0])), ints(x.shape));
  return out.info;
};

// The 2×2 max-pool's gradient and its gradient (ops.ts), finding each window's max in x.
function windows(kind: 0 | 1): NativeKernel {
  return ({ inputs, backend }) => {
    const { x, pooled } = inputs;
    const g = kind === 0 ? inputs.dy : inputs.g;
    const [xv, pv, gv] = [backend.floats(x), backend.floats(pooled), backend.floats(g)];
    if (!xv || !pv || !gv) throw new Error(`${WINDOW_KERNELS.spread}: float32 only`);
    const out = backend.output(kind === 0 ? x.shape : pooled.shape);
    backend.addon.windows(kind, xv, pv, gv, out.values, ints(pooled.shape));
    return out.info;
  };
}

export const arrayKernels: Record<string, NativeKernel> = {
  ...Object.fromEntries(Object.entries(BINARY).map(([name, op]) => [name, binary(op)])),
  ...Object.fromEntries(Object.entries(UNARY).map(([name, op]) => [name, unary(op)])),
  Sum: reduction(0),
  Mean: reduction(1),
  Tile: tile,
  Transpose: transpose,
  Slice: slice,
  PadV2: pad,
  [WINDOW_KERNELS.spread]: windows(0),
  [WINDOW_KERNELS.sum]: windows(1),
};
