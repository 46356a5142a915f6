// Part (c) of bench:train (issue #12): MAML, Meta-SGD and ANIL side by side on one Omniglot
// budget, the accuracy part's 5-way 1-shot one (its fomaml row: iterations, meta-batch, inner
// steps and lr, meta lr, test episodes), each trained and tested by accuracy-cell.ts in its own
// process. Ours only: the PyTorch reference has neither Meta-SGD nor ANIL.
import { runTsCell, settle, type Settled } from './child.js';
import { ACCURACY_CONFIGS, QUICK_ACCURACY, configName, type AccuracyAlgorithm, type AccuracyConfig } from './accuracy-plan.js';
import { accuracyWithCi, formatTable, shown } from './table.js';

export const COMPARED: readonly AccuracyAlgorithm[] = ['maml', 'metasgd', 'anil'];

const budget = ACCURACY_CONFIGS.find((c) => c.algo === 'fomaml' && c.ways === 5)!;

/** What accuracy-cell.ts prints that this part reports. */
interface CellFigures {
  backend: string;
  device: string | null;
  accuracy: number;
  ci95: number;
  trainSeconds: number;
  evalSeconds: number;
}

export interface AlgorithmRow extends AccuracyConfig {
  name: string;
  ours: Settled<CellFigures & { wallSeconds: number }>;
}

export async function runAlgorithms(opts: { backend: string; quick: boolean; taskBatch: string; testEpisodes?: number }): Promise<AlgorithmRow[]> {
  const rows: AlgorithmRow[] = [];
  for (const algo of COMPARED) {
    const c: AccuracyConfig = {
      ...budget,
      algo,
      ...(opts.quick ? QUICK_ACCURACY : {}),
      ...(opts.testEpisodes ? { testEpisodes: opts.testEpisodes } : {}),
    };
    const name = configName(c);
    process.stderr.write(`algorithms ${name}: ${c.iterations} iterations × meta-batch ${c.metaBatch}, ${c.testEpisodes} test episodes\n`);
    const started = performance.now();
    const ours = await settle(async () => ({
      ...(await runTsCell<CellFigures>('./accuracy-cell.ts', ['--config', JSON.stringify(c), '--backend', opts.backend, '--task-batch', opts.taskBatch], {
        label: '  [ours] ',
      })),
      wallSeconds: (performance.now() - started) / 1000,
    }));
    process.stderr.write(`  ${shown(ours, (v) => accuracyWithCi(v.accuracy, v.ci95))}\n`);
    rows.push({ ...c, name, ours });
  }
  return rows;
}

export function algorithmsTable(rows: readonly AlgorithmRow[]): string {
  return formatTable(
    ['config', 'iters × batch', 'episodes', 'accuracy', 'train s', 'test ms/episode', 'wall s'],
    rows.map((r) => [
      r.name,
      `${r.iterations} × ${r.metaBatch}`,
      String(r.testEpisodes),
      shown(r.ours, (v) => accuracyWithCi(v.accuracy, v.ci95)),
      shown(r.ours, (v) => v.trainSeconds.toFixed(1)),
      shown(r.ours, (v) => ((1000 * v.evalSeconds) / r.testEpisodes).toFixed(1)),
      shown(r.ours, (v) => v.wallSeconds.toFixed(0)),
    ]),
  );
}
