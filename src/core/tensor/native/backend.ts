// The 'native' tfjs backend: tfjs's plain-JavaScript CPU backend, whose tensors are ordinary
// Float32Arrays, with the kernels that matter to meta-training replaced by native code over
// the same arrays (the addon reads and writes them in place: no copies across the boundary).
// Every kernel not replaced keeps working as the CPU backend's; the replaced ones fall back
// to it for what they do not cover (other dtypes, NCHW, dilations...).
//
// Threads: the addon splits each kernel between the calling thread and one worker per extra core
// (native/src/threads.h), and runs oneDNN single-threaded inside those parts. This backend never
// starts wasm's XNNPACK threads, so no second pool competes for the cores.
import { availableParallelism, totalmem } from 'node:os';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { tf } from '../tf.js';
import { loadNativeAddon, type NativeAddon } from './addon.js';
import { arrayKernels } from './array-kernels.js';
import { RecycledBuffers } from './buffers.js';
import { primitiveKernels } from './primitive-kernels.js';

export const NATIVE = 'native';

/** Disposed outputs kept for reuse, at most: a W1 meta-iteration's working set is a few hundred MB. */
const RECYCLE_BYTES = Math.min(2 ** 31, totalmem() / 8);

export class NativeBackend extends MathBackendCPU {
  private readonly buffers = new RecycledBuffers(RECYCLE_BYTES);

  constructor(readonly addon: NativeAddon) {
    super();
  }

  /** The Float32Array behind a float32 tensor, or null (other dtypes, complex): those fall back. */
  floats(t: tf.TensorInfo): Float32Array | null {
    if (t.dtype !== 'float32') return null;
    const values = this.data.get(t.dataId)?.values;
    return values instanceof Float32Array ? values : null;
  }

  /** A float32 output of this shape, uninitialised: every native kernel writes all of it. */
  output(shape: number[]): { info: tf.TensorInfo; values: Float32Array } {
    const values = this.buffers.take(tf.util.sizeFromShape(shape));
    return { info: this.makeTensorInfo(shape, 'float32', values), values };
  }

  override write(values: tf.backend_util.BackendValues, shape: number[], dtype: tf.DataType) {
    this.buffers.stored(values);
    return super.write(values, shape, dtype);
  }

  override move(dataId: object, values: tf.backend_util.BackendValues, shape: number[], dtype: tf.DataType, refCount: number): void {
    this.buffers.stored(values);
    super.move(dataId, values, shape, dtype, refCount);
  }

  override disposeData(dataId: object, force = false): boolean {
    const values = this.data.get(dataId)?.values;
    const released = super.disposeData(dataId, force);
    if (values && !this.data.has(dataId)) this.buffers.released(values);
    return released;
  }

  // What leaves the backend is a copy: the array itself may be handed to another tensor later.
  override readSync(dataId: object): tf.backend_util.BackendValues {
    const values = super.readSync(dataId);
    return this.buffers.owns(values) ? values.slice() : values;
  }

  override async read(dataId: object): Promise<tf.backend_util.BackendValues> {
    return this.readSync(dataId);
  }

  override dispose(): void {
    this.buffers.clear();
    super.dispose();
  }
}

export interface NativeKernelArgs {
  /** By the kernel's input names; tfjs always passes those a kernel declares. */
  inputs: Record<string, tf.TensorInfo>;
  attrs: tf.NamedAttrMap;
  backend: NativeBackend;
}

/** A native kernel: its result, or null to let the CPU backend's kernel do it. */
export type NativeKernel = (args: NativeKernelArgs) => tf.TensorInfo | tf.TensorInfo[] | null;

/** Int32Array arguments for the addon. */
export const ints = (values: readonly number[]): Int32Array => Int32Array.from(values);

let registered = false;

/** Registers 'native' with every CPU kernel, then the native ones over them. */
export function registerNativeBackend(addon: NativeAddon): void {
  if (registered) return;
  registered = true;
  // Below cpu (1) and wasm (2): tfjs never picks it on its own, only when asked by name.
  tf.registerBackend(NATIVE, () => new NativeBackend(addon), 0);
  const cpu = new Map(tf.getKernelsForBackend('cpu').map((k) => [k.kernelName, k]));
  for (const kernel of cpu.values()) tf.registerKernel({ ...kernel, backendName: NATIVE });
  for (const [name, kernel] of Object.entries({ ...primitiveKernels, ...arrayKernels })) {
    // Kernels of our own (stacked tasks' convolutions) have no CPU version: they never decline.
    const fallback = cpu.get(name)?.kernelFunc ?? (() => { throw new Error(`${name}: no fallback`); });
    if (cpu.has(name)) tf.unregisterKernel(name, NATIVE);
    tf.registerKernel({
      kernelName: name,
      backendName: NATIVE,
      kernelFunc: (args) => kernel({ ...args, attrs: args.attrs ?? {} } as unknown as NativeKernelArgs) ?? fallback(args),
    });
  }
}

/**
 * Loads the addon and registers the backend (not yet active); returns what it runs on.
 * Throws, with the reason, where the addon was not built or does not load.
 */
export function prepareNativeBackend(threads = availableParallelism()): string {
  const addon = loadNativeAddon();
  addon.setThreads(threads);
  registerNativeBackend(addon);
  const { onednn, isa, threads: running } = addon.describe();
  return `CPU via oneDNN ${onednn} (${isa}, ${running} thread${running === 1 ? '' : 's'})`;
}
