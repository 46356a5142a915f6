// Replacements for wasm kernels of tfjs 4.22 that are far slower than they need to be on the
// meta-learners' hot paths. Slice copies its whole input out of the wasm heap into a fresh
// JavaScript buffer before taking the part it wants (47 ms to take 5 rows of a 16 MB tensor);
// this version copies only the slice, heap to heap, one contiguous run at a time.
import { tf } from './tf.js';

interface HeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

function slice(args: { inputs: tf.NamedTensorInfoMap; attrs: tf.NamedAttrMap; backend: unknown }, fallback: tf.KernelFunc) {
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

/** Installs the replacements on the wasm backend; call after it is registered, before use. */
export function installWasmKernels(): void {
  const original = tf.getKernel('Slice', 'wasm');
  if (!original) throw new Error('the wasm backend has no Slice kernel to replace');
  tf.unregisterKernel('Slice', 'wasm');
  tf.registerKernel({
    kernelName: 'Slice',
    backendName: 'wasm',
    kernelFunc: (args) => slice(args as never, original.kernelFunc),
  });
}
