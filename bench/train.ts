// npm run bench:train [-- --json] [-- --backend native|wasm|cpu|webgpu|tensorflow] [-- --only throughput|accuracy|algorithms|long]
//                     [-- --quick] [-- --baselines] [-- --test-episodes N] [-- --task-batch N|auto]
//                     [-- --workload conv4|mlp] [-- --algo maml|fomaml|reptile|protonet]   (throughput cells)
//                     [-- --norm tasknorm|support|instance]  (our image encoder's; default the model's)
//                     [-- --minutes M]                       (the long run's training budget, default 20)
// Meta-training against the PyTorch reference on the same machine in the same run: (a) seconds
// per meta-iteration on the reference's workloads, (b) Omniglot accuracy after equal training
// budgets, (c) MAML, Meta-SGD and ANIL on the 5-way budget of (b), ours alone; (d), only when asked for
// (`--only long`, ~25 min), the ProtoNets accuracy-vs-minutes curve of a long run. Progress goes to stderr; stdout gets the tables and, with --json, ends with one JSON
// line holding every figure.
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { accuracyTable, NOT_MATCHED, omniglotMissing, runAccuracy, type AccuracyRow } from './accuracy.js';
import { algorithmsTable, runAlgorithms, type AlgorithmRow } from './algorithms.js';
import { DEVICE, INSTALL_HINT, referenceUnavailable, THREADS } from './reference.js';
import { ourDevices } from './table.js';
import { runThroughput, throughputTable, type ThroughputRow } from './throughput.js';
import { longTable, runLong, type LongRun } from './long.js';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    backend: { type: 'string', default: process.env.FEWSHOT_BACKEND ?? 'auto' },
    only: { type: 'string' },
    quick: { type: 'boolean', default: false },
    baselines: { type: 'boolean', default: false },
    'test-episodes': { type: 'string' },
    'task-batch': { type: 'string', default: 'auto' },
    workload: { type: 'string' },
    algo: { type: 'string' },
    norm: { type: 'string' },
    minutes: { type: 'string', default: '20' },
  },
});
const PARTS = ['throughput', 'accuracy', 'algorithms', 'long'] as const;
if (values.only !== undefined && !(PARTS as readonly string[]).includes(values.only)) {
  throw new Error(`--only must be one of ${PARTS.join(', ')}, got '${values.only}'`);
}
// The long run (~25 min) only when asked for.
const parts = Object.fromEntries(PARTS.map((p) => [p, values.only === p || (values.only === undefined && p !== 'long')])) as Record<(typeof PARTS)[number], boolean>;
const options = { backend: values.backend, quick: values.quick, taskBatch: values['task-batch'], norm: values.norm };

const started = performance.now();
const machine = { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, loadavgAtStart: loadavg() };
const noReference = referenceUnavailable();
if (noReference) process.stderr.write(`PyTorch reference skipped: ${noReference}\n  (install: ${INSTALL_HINT})\n`);
const reference = noReference === null;

const out: string[] = [];
let throughput: ThroughputRow[] | null = null;
let accuracy: AccuracyRow[] | null = null;
let accuracySkipped: string | null = null;
let algorithms: AlgorithmRow[] | null = null;
let long: LongRun | null = null;

if (parts.throughput) {
  throughput = await runThroughput({ ...options, reference, workload: values.workload, algo: values.algo });
  if (throughput.length === 0) throw new Error(`no throughput cell is ${values.workload ?? '*'}/${values.algo ?? '*'}`);
  out.push(
    `Throughput (seconds per meta-iteration, median; ours: ${ourDevices(throughput.map((r) => r.ours.value))}; ` +
      `PyTorch: ${DEVICE === 'cpu' ? `${THREADS} threads, OMP_WAIT_POLICY=PASSIVE` : DEVICE})\n`,
    throughputTable(throughput),
  );
}
if (parts.accuracy) {
  accuracySkipped = omniglotMissing();
  if (accuracySkipped) {
    process.stderr.write(`accuracy skipped: ${accuracySkipped}\n`);
    out.push(`Accuracy: skipped (${accuracySkipped})\n`);
  } else {
    accuracy = await runAccuracy({
      ...options,
      reference,
      baselines: values.baselines,
      testEpisodes: values['test-episodes'] ? Number(values['test-episodes']) : undefined,
    });
    out.push(
      `Omniglot test accuracy ± 95% CI (same iterations, meta-batch, inner steps/lr, meta lr; ours: ${ourDevices(accuracy.map((r) => r.ours.value))}; ` +
        `PyTorch: ${THREADS} threads)\n`,
      accuracyTable(accuracy),
      `Not matched: ${NOT_MATCHED.map((n) => `\n  - ${n}`).join('')}\n`,
    );
  }
}
if (parts.long) {
  const missing = omniglotMissing();
  if (missing) throw new Error(`the long run needs Omniglot: ${missing}`);
  long = await runLong({ backend: options.backend, minutes: Number(values.minutes), norm: options.norm, testEpisodes: values['test-episodes'] ? Number(values['test-episodes']) : undefined });
  out.push(
    `ProtoNets on Omniglot, ${long.ways}-way 1-shot ${long.queries}-query training episodes for ${values.minutes} min (ours: ${ourDevices([long])}, norm ${long.norm}), ` +
      '5-way 1-shot test accuracy ± 95% CI at points of the run\n',
    longTable(long),
  );
}

if (parts.algorithms) {
  const missing = omniglotMissing();
  if (missing) {
    process.stderr.write(`algorithms skipped: ${missing}\n`);
    out.push(`Algorithms: skipped (${missing})\n`);
  } else {
    algorithms = await runAlgorithms({ ...options, testEpisodes: values['test-episodes'] ? Number(values['test-episodes']) : undefined });
    out.push(
      `MAML, Meta-SGD and ANIL (second order), Omniglot test accuracy ± 95% CI at one budget (ours: ${ourDevices(algorithms.map((r) => r.ours.value))})\n`,
      algorithmsTable(algorithms),
    );
  }
}

const elapsedSeconds = (performance.now() - started) / 1000;
const loadavgAtEnd = loadavg();
out.push(
  `${machine.cores} × ${machine.cpu}; load average ${machine.loadavgAtStart.map((l) => l.toFixed(1)).join(' ')} at start, ` +
    `${loadavgAtEnd.map((l) => l.toFixed(1)).join(' ')} at end (above ~2 the machine was shared and timings are noisy); ` +
    `${(elapsedSeconds / 60).toFixed(1)} min${options.quick ? '; --quick: a smoke run, not a measurement' : ''}\n`,
);
process.stdout.write(out.join('\n'));
if (values.json) {
  const report = {
    quick: options.quick,
    backend: options.backend,
    machine: { ...machine, loadavgAtEnd },
    reference: noReference ?? 'available',
    referenceDevice: DEVICE,
    throughput,
    accuracy,
    accuracySkipped,
    algorithms,
    long,
    notMatched: accuracy ? NOT_MATCHED : undefined,
    elapsedSeconds,
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}
