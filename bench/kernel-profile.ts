// Where one meta-iteration's time goes, kernel by kernel: runs a throughput cell's meta-step
// under tf.profile and prints the kernels (by name and input shapes) that take the most time.
//   tsx bench/kernel-profile.ts --workload conv4 --algo maml [--meta-batch 4] [--backend auto]
//        [--task-batch N|auto] [--top 30]
// Kernel times are wall times measured around each kernel on synchronous backends (wasm,
// cpu, native); on webgpu they are GPU times. Not a throughput measurement: profiling adds
// its own overhead per kernel, and the total is printed beside the unprofiled step time.
import { parseArgs } from 'node:util';
import { initBackend, type Algorithm, type BackendPreference } from '../src/core/index.js';
import { tf, type Tensor } from '../src/core/tensor/tf.js';
import { metaStep } from '../src/core/training/meta-step.js';
import { formatTable } from './table.js';
import { setUpCell, WORKLOADS, type WorkloadName } from './workloads.js';

const { values } = parseArgs({
  options: {
    workload: { type: 'string', default: 'conv4' },
    algo: { type: 'string', default: 'maml' },
    'meta-batch': { type: 'string', default: '4' },
    backend: { type: 'string', default: process.env.FEWSHOT_BACKEND ?? 'auto' },
    'task-batch': { type: 'string', default: 'auto' },
    top: { type: 'string', default: '30' },
  },
});
const workload = WORKLOADS[values.workload as WorkloadName];
const algorithm = values.algo as Algorithm;
if (!workload || !workload.algorithms.includes(algorithm)) throw new Error(`no cell ${values.workload}/${values.algo}`);
const metaBatch = Number(values['meta-batch']);

const backend = await initBackend(values.backend as BackendPreference);
const { learner, taskBatch, tasks, optimizer, ...cell } = setUpCell(workload, algorithm, metaBatch, 3, values['task-batch']);
let params: Tensor[] = cell.params;

const step = async () => {
  const next = (await metaStep(learner, optimizer, params, tasks, taskBatch)).params;
  await next[next.length - 1].data();
  tf.dispose(params);
  params = next;
};
await step(); // warm-up: first calls compile, allocate and create primitives
const started = performance.now();
const cpuBefore = process.cpuUsage();
await step();
const plainMs = performance.now() - started;
const cpu = process.cpuUsage(cpuBefore);
// CPU time moves less than wall time when other processes share the cores.
const cpuMs = (cpu.user + cpu.system) / 1000;

const rows = new Map<string, { ms: number; calls: number }>();
const byName = new Map<string, number>();
let totalMs = 0;
const profiled = performance.now();
const profile = await tf.profile(step);
const profiledMs = performance.now() - profiled;
// Custom gradients (runKernelFunc) appear as scopes around the kernels they run: not counted.
const composite = (name: string) => tf.getKernel(name, tf.getBackend()) === undefined;
for (const kernel of profile.kernels) {
  if (composite(kernel.name)) continue;
  const ms = Number(kernel.kernelTimeMs);
  const key = `${kernel.name} ${kernel.inputShapes.map((s) => `[${s?.join(',')}]`).join(' ')}`;
  const row = rows.get(key) ?? { ms: 0, calls: 0 };
  row.ms += ms;
  row.calls++;
  rows.set(key, row);
  byName.set(kernel.name, (byName.get(kernel.name) ?? 0) + ms);
  totalMs += ms;
}
const percent = (ms: number) => `${((100 * ms) / totalMs).toFixed(1)}%`;
const top = Number(values.top);
process.stdout.write(
  `${workload.name} ${algorithm}, meta-batch ${metaBatch}, ${taskBatch} task(s) stacked; backend ${backend.name} (${backend.device})\n` +
    `one step: ${plainMs.toFixed(0)} ms unprofiled (${cpuMs.toFixed(0)} ms CPU time), ${profiledMs.toFixed(0)} ms profiled, of which ${totalMs.toFixed(0)} ms inside ` +
    `${profile.kernels.filter((k) => !composite(k.name)).length} kernels\n\nby kernel:\n` +
    formatTable(
      ['kernel', 'ms', 'share'],
      [...byName].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, ms]) => [name, ms.toFixed(1), percent(ms)]),
    ) +
    `\nby kernel and input shapes:\n` +
    formatTable(
      ['kernel and input shapes', 'calls', 'ms', 'share'],
      [...rows].sort((a, b) => b[1].ms - a[1].ms).slice(0, top).map(([key, r]) => [key, String(r.calls), r.ms.toFixed(1), percent(r.ms)]),
    ),
);
tf.dispose(params);
optimizer.dispose();
