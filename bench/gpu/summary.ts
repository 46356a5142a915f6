// The last stage of bench/gpu/run.sh: one markdown summary of a GPU run from the files it left in
// OUT — each stage's status and time, the adapter, the webgpu tests' counts, and the throughput
// cells (ours vs PyTorch on the same GPU, against the issue's targets).
//   tsx bench/gpu/summary.ts OUT
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatTable, seconds } from '../table.js';
import type { ThroughputRow } from '../throughput.js';

/** PyTorch eager on an H100 with the per-task loop (../shared/notes/webgpu-probe), s per meta-iteration. */
const TARGETS: Record<string, number> = { 'conv4/maml': 0.48, 'conv4/fomaml': 0.21 };

interface Result {
  stage: string;
  report: Record<string, unknown>;
}

const out = process.argv[2];
if (!out) throw new Error('usage: tsx bench/gpu/summary.ts OUT');
const read = (name: string) => (existsSync(join(out, name)) ? readFileSync(join(out, name), 'utf8') : '');

const stages = read('stages.tsv')
  .split('\n')
  .filter(Boolean)
  .map((line) => line.split('\t'));
const results = read('results.jsonl')
  .split('\n')
  .filter(Boolean)
  .map((line) => JSON.parse(line) as Result);

const lines: string[] = ['## GPU run summary', ''];
lines.push('Stages:', '', formatTable(['stage', 'status', 's'], stages.map(([name, status, s]) => [name, status, s])));

const adapter = results.find((r) => r.stage === 'adapter')?.report;
if (adapter) {
  const matmul = adapter.matmul as { n: number; tflops: number } | undefined;
  lines.push(
    `Adapter: ${adapter.ok ? String(adapter.adapter) : `unusable (${String(adapter.error)})`}` +
      (matmul ? `; ${matmul.n}² float32 matMul ${matmul.tflops.toFixed(2)} TFLOP/s` : ''),
    '',
  );
}

const tests = read('tests.log');
const count = (what: string) => tests.match(new RegExp(`^# ${what} (\\d+)`, 'm'))?.[1] ?? '-';
if (tests) lines.push(`webgpu tests: ${count('pass')} passed, ${count('fail')} failed, ${count('skipped')} skipped`, '');

const rows = results.flatMap((r) =>
  ((r.report.throughput as ThroughputRow[] | undefined) ?? []).map((row) => ({ stage: r.stage, row })),
);
if (rows.length) {
  lines.push(
    'Throughput, seconds per meta-iteration (median), ours on webgpu vs PyTorch in the same run:',
    '',
    formatTable(
      ['stage', 'cell', 'batch', 'stacked', 'ours s/it', 'PyTorch s/it', 'ours/PyTorch', 'target', 'tensors', 'ours RSS MiB'],
      rows.map(({ stage, row }) => {
        const ours = row.ours.value;
        const target = TARGETS[`${row.workload}/${row.algo}`];
        return [
          stage,
          `${row.workload}/${row.algo}`,
          String(row.metaBatch),
          ours ? String(ours.taskBatch) : '-',
          // A failed cell's error names the whole command first; its cause ends the line.
          ours ? seconds(ours.medianSeconds) : `failed: …${(row.ours.error ?? '?').slice(-40)}`,
          row.reference?.value ? seconds(row.reference.value.median_s) : '-',
          row.ratio === null ? '-' : `${row.ratio.toFixed(2)}×`,
          target === undefined ? '-' : `≤ ${target} s: ${ours && ours.medianSeconds <= target ? 'met' : 'missed'}`,
          ours ? `${ours.tensorsBefore}→${ours.tensorsAfter}` : '-',
          ours ? ours.peakRssMiB.toFixed(0) : '-',
        ];
      }),
    ),
  );
}
const reference = read('reference.json');
if (reference) lines.push('Reference alone (no usable adapter):', '', '```', reference.trim(), '```');
process.stdout.write(`${lines.join('\n')}\n`);
