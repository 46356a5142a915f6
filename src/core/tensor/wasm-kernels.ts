// Replacements for wasm kernels of tfjs 4.22 that are far slower than they need to be on the
// meta-learners' hot paths (timed on 2 cores, [80,784,64] float32 tensors as in conv4's first block):
// - Slice copies its whole input out of the wasm heap into a fresh JavaScript buffer before
//   taking the part it wants (47 ms to take 5 rows); this copies only the slice, heap to heap,
//   one contiguous run at a time (0.15 ms).
// - Sum over leading axes (batch norm's statistics and gradients, every broadcast's gradient)
//   transposes the whole input first (9.4 ms); as a matmul with a column of ones it takes 5.9 ms.
import { tf } from './tf.js';

interface HeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: unknown): boolean;
}

type KernelArgs = { inputs: tf.NamedTensorInfoMap; attrs: tf.NamedAttrMap; backend: unknown };

function slice(args: KernelArgs, fallback: tf.KernelFunc) {
  const x = args.inputs.x as tf.TensorInfo;
  if (x.dtype === 'string') return fallback(args as never);
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

// Reduces float32 x over a contiguous block of axes that leaves the last axis alone, seen as
// [outer, reduced, inner]: x[outer, reduced, inner]ᵀ · ones[reduced, 1] = [outer, inner, 1].
// x goes on the left: on the right, XNNPACK would first repack it as matmul weights (43 ms).
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

/** Installs the replacements on the wasm backend; call after it is registered, before use. */
export function installWasmKernels(): void {
  const kernel = (name: string) => {
    const found = tf.getKernel(name, 'wasm');
    if (!found) throw new Error(`the wasm backend has no ${name} kernel`);
    return found;
  };
  const [originalSlice, originalSum, matMul] = [kernel('Slice'), kernel('Sum'), kernel('BatchMatMul').kernelFunc];
  // The original's setupFunc binds its wasm entry point when the backend starts; the
  // replacement falls back to it, so it keeps that setup.
  const replace = (original: tf.KernelConfig, kernelFunc: tf.KernelFunc) => {
    tf.unregisterKernel(original.kernelName, 'wasm');
    tf.registerKernel({ ...original, kernelFunc });
  };
  replace(originalSlice, (args) => slice(args as never, originalSlice.kernelFunc));
  replace(originalSum, (args) => sum(args as never, originalSum.kernelFunc, matMul));
}
