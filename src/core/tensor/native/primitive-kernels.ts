// Kernels that are one oneDNN primitive each: convolution and both of its gradients, pooling,
// batched matmul. Each turns tfjs's attributes into the geometry the addon takes.
import { TASK_CONV } from '../convolution.js';
import { tf } from '../tf.js';
import { ints, type NativeKernel, type NativeKernelArgs } from './backend.js';

type Conv2DInfo = tf.backend_util.Conv2DInfo;

// The addon takes any padding tfjs computes: a 'valid' window that leaves the last rows or
// columns out has a negative high padding, which oneDNN's kernels take as it is.
function supported(info: Conv2DInfo): boolean {
  return info.dataFormat === 'channelsLast' && info.padInfo.top >= 0 && info.padInfo.left >= 0;
}

/**
 * kind 0: y = conv(a = x, b = filter); 1: dx from (a = dy, b = filter); 2: dfilter from (a = x, b = dy).
 * With tasks > 1, `info` is one task's convolution: the batch holds tasks × info.batchSize images
 * and the filters are stacked [tasks, ...].
 */
function convolution(args: NativeKernelArgs, kind: 0 | 1 | 2, info: Conv2DInfo, a: tf.TensorInfo, b: tf.TensorInfo, outShape: number[], tasks = 1) {
  const { backend } = args;
  const [av, bv] = [backend.floats(a), backend.floats(b)];
  if (!av || !bv || !supported(info)) return null;
  const out = backend.output(outShape);
  const geometry = ints([
    info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outChannels, info.filterHeight, info.filterWidth,
    info.outHeight, info.outWidth, info.strideHeight, info.strideWidth, info.dilationHeight, info.dilationWidth,
    info.padInfo.top, info.padInfo.left, tasks,
  ]);
  backend.addon.convolution(kind, geometry, av, bv, out.values);
  return out.info;
}

type ConvAttrs = {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  dilations?: number | [number, number];
};

const conv2dInfo = (inShape: number[], filterShape: number[], attrs: ConvAttrs) =>
  tf.backend_util.computeConv2DInfo(
    inShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    tf.backend_util.convertConv2DDataFormat(attrs.dataFormat),
  );

const conv2D: NativeKernel = (args) => {
  const { x, filter } = args.inputs;
  const info = conv2dInfo(x.shape, filter.shape, args.attrs as unknown as ConvAttrs);
  return convolution(args, 0, info, x, filter, info.outShape);
};

const conv2DBackpropInput: NativeKernel = (args) => {
  const { dy, filter } = args.inputs;
  const attrs = args.attrs as unknown as ConvAttrs & { inputShape: number[] };
  const info = conv2dInfo(attrs.inputShape, filter.shape, attrs);
  return convolution(args, 1, info, dy, filter, attrs.inputShape);
};

const conv2DBackpropFilter: NativeKernel = (args) => {
  const { x, dy } = args.inputs;
  const attrs = args.attrs as unknown as ConvAttrs & { filterShape: number[] };
  const info = conv2dInfo(x.shape, attrs.filterShape, attrs);
  return convolution(args, 2, info, x, dy, attrs.filterShape);
};

// Stacked tasks, each with its own filter [tasks, KH, KW, C, O]: 'same' padding, stride 1.
function perTask(kind: 0 | 1 | 2): NativeKernel {
  return (args) => {
    const a = kind === 1 ? args.inputs.dy : args.inputs.x;
    const b = kind === 2 ? args.inputs.dy : args.inputs.filter;
    const filterShape = kind === 2 ? (args.attrs.filterShape as number[]) : b.shape;
    const [tasks, ...filter] = filterShape;
    const images = [a.shape[0] / tasks, ...a.shape.slice(1)];
    const inShape = kind === 1 ? [...images.slice(0, 3), filter[2]] : images;
    const info = conv2dInfo(inShape, filter, { strides: 1, pad: 'same', dataFormat: 'NHWC' });
    const outShape = kind === 0 ? [a.shape[0], ...info.outShape.slice(1)] : kind === 1 ? [a.shape[0], ...inShape.slice(1)] : filterShape;
    const result = convolution(args, kind, info, a, b, outShape, tasks);
    if (!result) throw new Error(`${TASK_CONV.conv}: float32 NHWC only`);
    return result;
  };
}

function pool(kind: 0 | 1): NativeKernel {
  return (args) => {
    const { backend } = args;
    const x = args.inputs.x;
    const xv = backend.floats(x);
    const attrs = args.attrs as unknown as ConvAttrs & { filterSize: number | [number, number] };
    const info = tf.backend_util.computePool2DInfo(x.shape as [number, number, number, number], attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
    if (!xv || !supported(info)) return null;
    const out = backend.output(info.outShape);
    backend.addon.pool(
      kind,
      ints([info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth, info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth, info.padInfo.top, info.padInfo.left]),
      xv,
      out.values,
    );
    return out.info;
  };
}

const batchMatMul: NativeKernel = ({ inputs, attrs, backend }) => {
  const { a, b } = inputs;
  const [av, bv] = [backend.floats(a), backend.floats(b)];
  if (!av || !bv) return null;
  const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const [batchA, batchB] = [tf.util.sizeFromShape(outerA), tf.util.sizeFromShape(outerB)];
  // One operand's matrices against the other's, or one matrix against all of them.
  if (batchA !== 1 && batchB !== 1 && !tf.util.arraysEqual(outerA, outerB)) return null;
  const [rowsA, colsA] = a.shape.slice(-2);
  const [rowsB, colsB] = b.shape.slice(-2);
  const [m, k, n] = [transposeA ? colsA : rowsA, transposeA ? rowsA : colsA, transposeB ? rowsB : colsB];
  const outer = tf.broadcast_util.assertAndGetBroadcastShape(outerA, outerB);
  const out = backend.output([...outer, m, n]);
  backend.addon.matmul(ints([batchA, batchB, m, k, n, transposeA ? 1 : 0, transposeB ? 1 : 0]), av, bv, out.values);
  return out.info;
};

export const primitiveKernels: Record<string, NativeKernel> = {
  Conv2D: conv2D,
  Conv2DBackpropInput: conv2DBackpropInput,
  Conv2DBackpropFilter: conv2DBackpropFilter,
  [TASK_CONV.conv]: perTask(0),
  [TASK_CONV.data]: perTask(1),
  [TASK_CONV.filter]: perTask(2),
  MaxPool: pool(0),
  AvgPool: pool(1),
  BatchMatMul: batchMatMul,
};
