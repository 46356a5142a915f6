// Replacements for wasm kernels of tfjs 4.22 that are far slower than they need to be on the
// meta-learners' hot paths (timings before and after: bench/README.md, "What moved ours"):
// - Slice copies its whole input out of the wasm heap into a fresh JavaScript buffer before
//   taking the part it wants; this copies only the slice, heap to heap, one contiguous run at a
//   time. SplitV (concat's gradient) slices the same way, once per part.
// - Sum over leading axes (batch norm's statistics and gradients, every broadcast's gradient)
//   transposes the whole input first; this runs it as a matmul with a column of ones.
// - BatchMatMul runs XNNPACK's fast GEMM only for one untransposed pair; several matrices
//   (stacked tasks' fast weights) or a transposed operand (every matmul gradient) take a naive
//   loop. This transposes operands explicitly and runs one fast GEMM per matrix.
import { tf } from './tf.js';

interface HeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: unknown): boolean;
}

type KernelArgs = { inputs: tf.NamedTensorInfoMap; attrs: tf.NamedAttrMap; backend: unknown };

function slice(args: KernelArgs, fallback: tf.KernelFunc): tf.TensorInfo {
  const x = args.inputs.x as tf.TensorInfo;
  if (x.dtype === 'string') return fallback(args as never) as tf.TensorInfo;
  const backend = args.backend as HeapBackend;
  const [begin, size] = tf.slice_util.parseSliceParams(
    x as tf.Tensor,
    args.attrs.begin as number[],
    args.attrs.size as number | number[],
  );
  const out = backend.makeOutput(size, x.dtype);
  // Views are taken after makeOutput: growing the heap detaches earlier ones.
  const input = backend.typedArrayFromHeap(x);
  const output = backend.typedArrayFromHeap(out);
  if (output.length === 0) return out;
  const strides = tf.util.computeStrides(x.shape);
  // The innermost axes the slice takes whole form one contiguous run per outer index.
  let inner = x.shape.length;
  while (inner > 0 && size[inner - 1] === x.shape[inner - 1]) inner--;
  const partial = Math.max(0, inner - 1);
  const run = size.slice(partial).reduce((a, b) => a * b, 1);
  const outer = size.slice(0, partial);
  const index = new Array<number>(outer.length).fill(0);
  for (let written = 0; written < output.length; written += run) {
    let from = begin[partial] * (strides[partial] ?? 1);
    for (let axis = 0; axis < outer.length; axis++) from += (begin[axis] + index[axis]) * strides[axis];
    output.set(input.subarray(from, from + run), written);
    for (let axis = outer.length - 1; axis >= 0 && ++index[axis] === outer[axis]; axis--) index[axis] = 0;
  }
  return out;
}

function splitV(args: KernelArgs, fallback: tf.KernelFunc) {
  const x = args.inputs.x as tf.TensorInfo;
  const axis = tf.util.parseAxisParam(args.attrs.axis as number, x.shape)[0];
  const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, args.attrs.numOrSizeSplits as number | number[], axis);
  const begin = x.shape.map(() => 0);
  return sizes.map((part) => {
    const size = [...x.shape];
    size[axis] = part;
    const piece = slice({ ...args, inputs: { x }, attrs: { begin: [...begin], size } }, fallback);
    begin[axis] += part;
    return piece;
  });
}

// Reduces float32 x over a contiguous block of axes that leaves the last axis alone, seen as
// [outer, reduced, inner]: x[outer, reduced, inner]ᵀ · ones[reduced, 1] = [outer, inner, 1].
// x goes on the left: on the right, XNNPACK would first repack it as matmul weights.
function sum(args: KernelArgs, fallback: tf.KernelFunc, matMul: tf.KernelFunc) {
  const x = args.inputs.x as tf.TensorInfo;
  const rank = x.shape.length;
  const axes = tf.util.parseAxisParam(args.attrs.axis as number | number[], x.shape).sort((a, b) => a - b);
  const first = axes[0];
  const last = axes[axes.length - 1];
  const contiguous = axes.length > 0 && last - first + 1 === axes.length;
  if (x.dtype !== 'float32' || !contiguous || last === rank - 1) return fallback(args as never);
  const size = (from: number, to: number) => x.shape.slice(from, to).reduce((a, b) => a * b, 1);
  const [outer, reduced, inner] = [size(0, first), size(first, last + 1), size(last + 1, rank)];
  const backend = args.backend as HeapBackend;
  const ones = backend.makeOutput([1, reduced, 1], 'float32');
  backend.typedArrayFromHeap(ones).fill(1);
  const x3 = { ...x, shape: [outer, reduced, inner] };
  const out = matMul({ inputs: { a: x3, b: ones }, attrs: { transposeA: true, transposeB: false }, backend } as never) as tf.TensorInfo;
  backend.disposeData(ones.dataId);
  const kept = x.shape.map((d, axis) => (axis >= first && axis <= last ? 1 : d));
  out.shape = args.attrs.keepDims ? kept : kept.filter((_, axis) => axis < first || axis > last);
  return out;
}

// XNNPACK repacks the right operand (k·n) on every call: with few rows on the left, or little
// work per matrix, that costs more than the naive loop saves (timed on the MLP's inner steps).
const GEMM_MIN_ROWS = 16;
const GEMM_MIN_WORK = 64 * 1024;

function batchMatMul(args: KernelArgs, fallback: tf.KernelFunc, transpose: tf.KernelFunc) {
  const a = args.inputs.a as tf.TensorInfo;
  const b = args.inputs.b as tf.TensorInfo;
  const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
  const backend = args.backend as HeapBackend;
  const batchOf = (t: tf.TensorInfo) => t.shape.slice(0, -2).reduce((x, y) => x * y, 1);
  const [batchA, batchB] = [batchOf(a), batchOf(b)];
  const [rowsA, colsA] = a.shape.slice(-2);
  const [rowsB, colsB] = b.shape.slice(-2);
  const [m, k, n] = [transposeA ? colsA : rowsA, transposeA ? rowsA : colsA, transposeB ? rowsB : colsB];
  const batch = Math.max(batchA, batchB);
  const simple = a.dtype === 'float32' && (batchA === batchB || batchA === 1 || batchB === 1) && a.shape.length === b.shape.length;
  const fastEnough = m >= GEMM_MIN_ROWS && m * k * n >= GEMM_MIN_WORK;
  if (!simple || (batch === 1 && !transposeA && !transposeB) || !fastEnough) return fallback(args as never);

  const plain = (t: tf.TensorInfo, batches: number, rows: number, cols: number, transposed: boolean) =>
    transposed
      ? (transpose({ inputs: { x: { ...t, shape: [batches, rows, cols] } }, attrs: { perm: [0, 2, 1] }, backend } as never) as tf.TensorInfo)
      : t;
  const left = plain(a, batchA, rowsA, colsA, transposeA);
  const right = plain(b, batchB, rowsB, colsB, transposeB);
  const outShape = [...tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2)), m, n];
  const release = () => {
    for (const [made, input] of [[left, a], [right, b]]) if (made !== input) backend.disposeData(made.dataId);
  };
  const plainProduct = (x: tf.TensorInfo, y: tf.TensorInfo) =>
    fallback({ inputs: { a: x, b: y }, attrs: { transposeA: false, transposeB: false }, backend } as never) as tf.TensorInfo;
  if (batchB === 1) {
    // One weight matrix for every batch: a single GEMM over all of the left rows.
    const product = plainProduct({ ...left, shape: [1, batchA * m, k] }, { ...right, shape: [1, k, n] });
    release();
    product.shape = outShape;
    return product;
  }
  const out = backend.makeOutput(outShape, 'float32');
  const copyOf = (source: tf.TensorInfo, index: number, rows: number, cols: number) => {
    const part = backend.makeOutput([1, rows, cols], 'float32');
    const from = backend.typedArrayFromHeap(source);
    backend.typedArrayFromHeap(part).set(from.subarray(index * rows * cols, (index + 1) * rows * cols));
    return part;
  };
  for (let i = 0; i < batch; i++) {
    const ai = copyOf(left, batchA === 1 ? 0 : i, m, k);
    const bi = copyOf(right, i, k, n);
    const product = plainProduct(ai, bi);
    backend.typedArrayFromHeap(out).set(backend.typedArrayFromHeap(product), i * m * n);
    for (const temporary of [ai, bi, product]) backend.disposeData(temporary.dataId);
  }
  release();
  return out;
}

/** Installs the replacements on the wasm backend; call after it is registered, before use. */
export function installWasmKernels(): void {
  const kernel = (name: string) => {
    const found = tf.getKernel(name, 'wasm');
    if (!found) throw new Error(`the wasm backend has no ${name} kernel`);
    return found;
  };
  const [originalSlice, originalSplit, originalSum, originalMatMul] = [kernel('Slice'), kernel('SplitV'), kernel('Sum'), kernel('BatchMatMul')];
  const transpose = kernel('Transpose').kernelFunc;
  // The original's setupFunc binds its wasm entry point when the backend starts; the
  // replacement falls back to it, so it keeps that setup.
  const replace = (original: tf.KernelConfig, kernelFunc: tf.KernelFunc) => {
    tf.unregisterKernel(original.kernelName, 'wasm');
    tf.registerKernel({ ...original, kernelFunc });
  };
  replace(originalSlice, (args) => slice(args as never, originalSlice.kernelFunc));
  replace(originalSplit, (args) => (args.inputs.x as tf.TensorInfo).dtype === 'string' ? originalSplit.kernelFunc(args) : splitV(args as never, originalSlice.kernelFunc));
  replace(originalSum, (args) => sum(args as never, originalSum.kernelFunc, originalMatMul.kernelFunc));
  replace(originalMatMul, (args) => batchMatMul(args as never, originalMatMul.kernelFunc, transpose));
}
