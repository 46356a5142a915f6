// The throughput workloads exactly as ../shared/reference/maml_bench.py defines them, so each
// cell is timed on the same problem in both implementations:
//   conv4 (W1): 1×28×28, 4 × [3×3 conv 64, batch norm, ReLU, 2×2 max-pool], linear head;
//               1 inner SGD step at 0.4.
//   mlp   (W2): 256 → 128 → 128 → 5 (ReLU), 5 inner SGD steps at 0.4.
// Both: 5-way 1-shot, 15 queries per class, random normal inputs (the reference's random_task),
// Adam 1e-3 outside (Reptile: step 1.0 annealed to 0), Reptile 5 full-batch steps on support + query.
import { defaultTrainConfig, type Algorithm, type ModelConfig, type TrainConfig } from '../src/core/config.js';
import type { Episode, FeatureRows, InputSpec } from '../src/core/data/types.js';
import { learnerFor } from '../src/core/learners/from-config.js';
import type { MetaLearner } from '../src/core/learners/learner.js';
import { Random } from '../src/core/random.js';
import { backendName } from '../src/core/tensor/backend.js';
import type { Tensor } from '../src/core/tensor/tf.js';
import { adam, interpolate, type OuterOptimizer } from '../src/core/training/optimizer.js';
import { resolveTaskBatch } from '../src/core/training/task-batch.js';

export type WorkloadName = 'conv4' | 'mlp';

export interface Workload {
  name: WorkloadName;
  spec: InputSpec;
  model: ModelConfig;
  inner: { steps: number; lr: number };
  algorithms: readonly Algorithm[];
  /** Warm-up and timed meta-iterations of a full run: W1 costs ~10 s per iteration on wasm. */
  warmup: number;
  iters: number;
}

export const EPISODE = { ways: 5, shots: 1, queries: 15 } as const;
export const META_BATCH = 32;
export const OUTER_LR = { adam: 1e-3, reptile: 1.0 } as const;
/** The reference's Reptile always takes 5 inner steps (its --reptile-steps default). */
export const REPTILE_STEPS = 5;

export const WORKLOADS: Record<WorkloadName, Workload> = {
  conv4: {
    name: 'conv4',
    spec: { image: { height: 28, width: 28, channels: 1 } },
    model: { filters: 64, hidden: [], fusionDim: 64 },
    inner: { steps: 1, lr: 0.4 },
    algorithms: ['maml', 'fomaml', 'protonet'],
    warmup: 1,
    iters: 3,
  },
  mlp: {
    name: 'mlp',
    spec: { vector: { dim: 256 } },
    model: { filters: 64, hidden: [128, 128], fusionDim: 64 },
    inner: { steps: 5, lr: 0.4 },
    algorithms: ['maml', 'fomaml', 'reptile', 'protonet'],
    warmup: 2,
    iters: 10,
  },
};

/** `--quick`: a smoke run that exercises every cell in seconds, not a measurement. */
export const QUICK = { metaBatch: 4, warmup: 1, iters: 2 } as const;

function randomRows(spec: InputSpec, n: number, rng: Random): FeatureRows {
  const width = spec.image ? spec.image.height * spec.image.width * spec.image.channels : spec.vector!.dim;
  const data = Float32Array.from({ length: n * width }, () => rng.normal());
  const present = new Uint8Array(n).fill(1);
  return spec.image ? { spec, n, image: data, present: { image: present } } : { spec, n, vector: data, present: { vector: present } };
}

/** The reference's random_task: standard normal inputs, labels grouped by class (0,0,…,1,1,…). */
export function randomTask(spec: InputSpec, rng: Random): Episode {
  const { ways, shots, queries } = EPISODE;
  const labels = (perClass: number) => Int32Array.from({ length: ways * perClass }, (_, i) => Math.floor(i / perClass));
  return {
    ways,
    support: randomRows(spec, ways * shots, rng),
    supportLabels: labels(shots),
    query: randomRows(spec, ways * queries, rng),
    queryLabels: labels(queries),
    classIds: Array.from({ length: ways }, (_, i) => i),
  };
}

export interface Cell {
  config: TrainConfig;
  learner: MetaLearner;
  /** Tasks stacked per computation (trainRun's choice on this backend for 'auto'). */
  taskBatch: number;
  /** The meta-batch, made once and reused, as the reference does. */
  tasks: Episode[];
  params: Tensor[];
  optimizer: OuterOptimizer;
}

/** One workload × algorithm as the reference runs it, on the active backend. */
export function setUpCell(workload: Workload, algorithm: Algorithm, metaBatch: number, iterations: number, taskBatch: string): Cell {
  const config = defaultTrainConfig({
    algorithm,
    model: workload.model,
    episode: EPISODE,
    inner: algorithm === 'reptile' ? { ...workload.inner, steps: REPTILE_STEPS } : workload.inner,
    outer: { lr: OUTER_LR[algorithm === 'reptile' ? 'reptile' : 'adam'], metaBatchSize: metaBatch, iterations },
    taskBatch: taskBatch === 'auto' ? 'auto' : Number(taskBatch),
  });
  const learner = learnerFor(workload.spec, config);
  const rng = new Random(0);
  const tasks = Array.from({ length: metaBatch }, () => randomTask(workload.spec, rng));
  const params = learner.init(rng);
  const optimizer =
    learner.outerRule === 'adam' ? adam(config.outer.lr, learner.params.map((p) => p.shape)) : interpolate(config.outer.lr, config.outer.iterations);
  return { config, learner, taskBatch: resolveTaskBatch(config, workload.spec, backendName()), tasks, params, optimizer };
}
