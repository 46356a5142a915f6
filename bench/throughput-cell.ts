// One throughput cell (workload × algorithm) in its own process, so its peak RSS is its own and
// no cell inherits another's heap or backend state. Prints one JSON line on stdout.
//   tsx bench/throughput-cell.ts --workload conv4|mlp --algo maml|fomaml|reptile|protonet
//        [--warmup W] [--iters N] [--meta-batch M] [--backend native|wasm|cpu|webgpu|tensorflow|auto]
//        [--task-batch N|auto]   tasks stacked per computation; auto = what trainRun would pick
import { parseArgs } from 'node:util';
import { initBackend, type Algorithm, type BackendPreference } from '../src/core/index.js';
import { tf, type Tensor } from '../src/core/tensor/tf.js';
import { metaStep } from '../src/core/training/meta-step.js';
import { median, peakRssMiB } from './measure.js';
import { META_BATCH, setUpCell, WORKLOADS, type WorkloadName } from './workloads.js';

const { values } = parseArgs({
  options: {
    workload: { type: 'string' },
    algo: { type: 'string' },
    warmup: { type: 'string' },
    iters: { type: 'string' },
    'meta-batch': { type: 'string', default: String(META_BATCH) },
    backend: { type: 'string', default: 'auto' },
    'task-batch': { type: 'string', default: 'auto' },
  },
});
const workload = WORKLOADS[values.workload as WorkloadName];
const algorithm = values.algo as Algorithm;
if (!workload || !workload.algorithms.includes(algorithm)) throw new Error(`no cell ${values.workload}/${values.algo}`);
const warmup = Number(values.warmup ?? workload.warmup);
const iters = Number(values.iters ?? workload.iters);
const metaBatch = Number(values['meta-batch']);

const backend = await initBackend(values.backend as BackendPreference);
const { config, learner, taskBatch, tasks, optimizer, ...cell } = setUpCell(workload, algorithm, metaBatch, warmup + iters, values['task-batch']);
let params: Tensor[] = cell.params;

const tensorsBefore = tf.memory().numTensors;
const times: number[] = [];
for (let it = 0; it < warmup + iters; it++) {
  const started = performance.now();
  params = (await metaStep(learner, optimizer, params, tasks, taskBatch)).params;
  // Asynchronous backends (webgpu) have only queued the work until a value is read back.
  await params[params.length - 1].data();
  if (it >= warmup) times.push((performance.now() - started) / 1000);
}
const tensorsAfter = tf.memory().numTensors;
tf.dispose(params);
optimizer.dispose();

console.log(
  JSON.stringify({
    workload: workload.name,
    algo: algorithm,
    backend: backend.name,
    device: backend.device,
    innerSteps: config.inner.steps,
    metaBatch,
    taskBatch,
    warmup,
    n: times.length,
    medianSeconds: median(times),
    minSeconds: Math.min(...times),
    maxSeconds: Math.max(...times),
    times: times.map((t) => Number(t.toFixed(4))),
    tensorsBefore,
    tensorsAfter,
    tensorsAtExit: tf.memory().numTensors,
    peakRssMiB: peakRssMiB(),
  }),
);
