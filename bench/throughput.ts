// Part (a): seconds per meta-iteration, ours and PyTorch's, cell by cell. Each cell runs in a
// fresh process, ours first and the reference right after, so both see the same machine state.
import { runTsCell, settle, type Settled } from './child.js';
import { referenceThroughput, type ReferenceCell } from './reference.js';
import { formatTable, seconds, shown } from './table.js';
import { META_BATCH, QUICK, WORKLOADS } from './workloads.js';

export interface OurCell {
  backend: string;
  device: string | null;
  innerSteps: number;
  taskBatch: number;
  medianSeconds: number;
  minSeconds: number;
  maxSeconds: number;
  times: number[];
  tensorsBefore: number;
  tensorsAfter: number;
  tensorsAtExit: number;
  peakRssMiB: number;
}

export interface ThroughputRow {
  workload: string;
  algo: string;
  metaBatch: number;
  warmup: number;
  iters: number;
  ours: Settled<OurCell>;
  /** Null when the reference cannot run on this machine. */
  reference: Settled<ReferenceCell> | null;
  /** Throughput ours / PyTorch = reference seconds / our seconds (> 1: ours is faster). */
  ratio: number | null;
}

export interface ThroughputOptions {
  backend: string;
  quick: boolean;
  reference: boolean;
  /** Tasks stacked per computation in our cells: a count, or 'auto' (trainRun's choice). */
  taskBatch: string;
  /** Only these workloads / algorithms (all when absent): one cell per run on a GPU lease. */
  workload?: string;
  algo?: string;
}

/** Ten times a slow W1 cell: only a pathological configuration gets near it. */
const CELL_TIMEOUT_S = 1200;

export async function runThroughput(opts: ThroughputOptions): Promise<ThroughputRow[]> {
  const rows: ThroughputRow[] = [];
  for (const workload of Object.values(WORKLOADS).filter((w) => !opts.workload || w.name === opts.workload)) {
    for (const algo of workload.algorithms.filter((a) => !opts.algo || a === opts.algo)) {
      const cell = {
        workload: workload.name,
        algo,
        metaBatch: opts.quick ? QUICK.metaBatch : META_BATCH,
        warmup: opts.quick ? QUICK.warmup : workload.warmup,
        iters: opts.quick ? QUICK.iters : workload.iters,
      };
      process.stderr.write(`throughput ${cell.workload}/${algo}: meta-batch ${cell.metaBatch}, ${cell.warmup} warm-up + ${cell.iters} timed\n`);
      const ours = await settle(() =>
        runTsCell<OurCell>(
          './throughput-cell.ts',
          [
            '--workload', cell.workload,
            '--algo', algo,
            '--warmup', String(cell.warmup),
            '--iters', String(cell.iters),
            '--meta-batch', String(cell.metaBatch),
            '--backend', opts.backend,
            '--task-batch', opts.taskBatch,
          ],
          { label: '  [ours] ', timeoutSeconds: CELL_TIMEOUT_S },
        ),
      );
      const reference = opts.reference ? await settle(() => referenceThroughput(cell)) : null;
      const oursSeconds = ours.value?.medianSeconds;
      const referenceSeconds = reference?.value?.median_s;
      const ratio = oursSeconds && referenceSeconds ? referenceSeconds / oursSeconds : null;
      process.stderr.write(
        `  ours ${seconds(oursSeconds)} s/it, PyTorch ${seconds(referenceSeconds)} s/it` +
          (ratio ? `, throughput ours/PyTorch ${ratio.toFixed(2)}` : '') +
          '\n',
      );
      rows.push({ ...cell, ours, reference, ratio });
    }
  }
  return rows;
}

export function throughputTable(rows: readonly ThroughputRow[]): string {
  return formatTable(
    ['workload', 'algo', 'batch', 'stacked', 'n', 'ours s/it', 'PyTorch s/it', 'ours/PyTorch', 'tensors before→after', 'ours RSS MiB', 'PyTorch RSS MiB'],
    rows.map((r) => [
      r.workload,
      r.algo,
      String(r.metaBatch),
      shown(r.ours, (o) => String(o.taskBatch)),
      String(r.iters),
      shown(r.ours, (o) => seconds(o.medianSeconds)),
      shown(r.reference, (c) => seconds(c.median_s)),
      r.ratio === null ? '-' : `${r.ratio.toFixed(2)}×`,
      shown(r.ours, (o) => `${o.tensorsBefore}→${o.tensorsAfter}`),
      shown(r.ours, (o) => o.peakRssMiB.toFixed(0)),
      shown(r.reference, (c) => c.peak_rss_mib.toFixed(0)),
    ]),
  );
}
