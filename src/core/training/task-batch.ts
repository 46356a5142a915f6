// How many tasks of a meta-batch to stack into one computation. On a GPU as many as memory
// allows: the device idles between small kernels otherwise. On CPU backends it depends on
// what the stacking costs, measured with bench/train.ts (figures in bench/README.md): on an MLP
// every algorithm gains, since batched matmuls run as one XNNPACK GEMM per task
// (tensor/wasm-kernels.ts); with images every algorithm loses, since a per-task convolution
// becomes an im2col matmul and XNNPACK's direct convolution is faster.
import type { TrainConfig } from '../config.js';
import type { InputSpec } from '../data/types.js';

const GPU_BACKENDS = new Set(['webgpu', 'tensorflow-gpu']);

/**
 * Per-task convolution weights turn each conv layer's input into an im2col matrix of
 * rows·H·W·9·C floats per task; a stacked group keeps its largest one under this many bytes
 * (W1 conv4, 5-way 1-shot 15 queries: 36 MB per task, so 14 tasks a group). A 32-task W1
 * group would need 1.2 GB for one layer and exhausts wasm's 4 GB heap with the second-order graph.
 */
const IM2COL_BUDGET_BYTES = 512 * 1024 * 1024;

function im2colBytesPerTask(config: TrainConfig, spec: InputSpec): number {
  if (!spec.image) return 0;
  const rows = config.episode.ways * (config.episode.shots + config.episode.queries);
  let { height, width, channels } = spec.image;
  let largest = 0;
  for (let block = 0; block < 4; block++) {
    largest = Math.max(largest, rows * height * width * 9 * channels * 4);
    channels = config.model.filters;
    height = Math.floor(height / 2);
    width = Math.floor(width / 2);
  }
  return largest;
}

export function resolveTaskBatch(config: TrainConfig, spec: InputSpec, backend: string): number {
  const metaBatch = config.outer.metaBatchSize;
  if (config.taskBatch !== 'auto') return Math.max(1, Math.min(config.taskBatch, metaBatch));
  // ANIL's encoder weights are shared by every task, like ProtoNets'; only its head is per task.
  const perTaskWeights = config.algorithm !== 'protonet' && config.algorithm !== 'anil';
  const memoryCap = perTaskWeights && spec.image ? Math.max(1, Math.floor(IM2COL_BUDGET_BYTES / im2colBytesPerTask(config, spec))) : metaBatch;
  if (GPU_BACKENDS.has(backend)) return Math.min(metaBatch, memoryCap);
  return spec.image ? 1 : metaBatch;
}

/**
 * Episodes the evaluation's baselines score together, with per-task weights. Unlike a MAML
 * meta-batch this stacking wins with images on CPU backends too: the scratch baseline's 50
 * first-order steps on a support set alone are small enough that kernel calls dominate (conv4,
 * 32 filters, Omniglot 5-way 1-shot on native, load ~20: 8 episodes stacked 0.74–0.95 s per
 * episode, one at a time 1.7–2.5 s; wasm 13 s vs over 24 s). Images stay within the im2col budget.
 */
const EVALUATION_GROUP = { vectors: 32, images: 8 };

export function evaluationTaskBatch(config: TrainConfig, spec: InputSpec, backend: string): number {
  const group = spec.image ? EVALUATION_GROUP.images : EVALUATION_GROUP.vectors;
  const sized = { ...config, algorithm: 'maml' as const, taskBatch: 'auto' as const, outer: { ...config.outer, metaBatchSize: group } };
  if (GPU_BACKENDS.has(backend) || !spec.image) return resolveTaskBatch(sized, spec, backend);
  return Math.max(1, Math.min(group, Math.floor(IM2COL_BUDGET_BYTES / im2colBytesPerTask(sized, spec))));
}
