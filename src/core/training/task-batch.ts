// How many tasks of a meta-batch to stack into one computation. On a GPU every task at once:
// the device idles between small kernels otherwise. On CPU backends it depends on what the
// stacking costs, measured with bench/train.ts on wasm (2 cores): stacking shared-weight
// networks (prototypical networks) is ~1.4× faster, second-order MAML on an MLP ~1.5×, but a
// per-task convolution becomes an im2col matmul that is 4-5× slower than wasm's native
// convolution, and Reptile's longer inner loop on an MLP loses ~1.4×.
import type { Algorithm } from '../config.js';
import type { InputSpec } from '../data/types.js';

const GPU_BACKENDS = new Set(['webgpu', 'tensorflow-gpu']);

export function resolveTaskBatch(
  requested: number | 'auto',
  metaBatchSize: number,
  algorithm: Algorithm,
  spec: InputSpec,
  backend: string,
): number {
  if (requested !== 'auto') return Math.max(1, Math.min(requested, metaBatchSize));
  if (GPU_BACKENDS.has(backend)) return metaBatchSize;
  if (algorithm === 'protonet') return metaBatchSize;
  if (algorithm === 'maml' && spec.image === undefined) return metaBatchSize;
  return 1;
}
