// Part (b): Omniglot test accuracy after the same training budget, ours then PyTorch's, per
// configuration. Matched: iterations, meta-batch, inner steps and lr (also at test time: the
// reference is passed --test-steps = our inner steps), meta lr, 15 queries, rotated background
// classes for meta-training, unrotated evaluation classes for testing. Not matched (stated in
// the report): batch-norm statistics, see NOT_MATCHED.
import { existsSync } from 'node:fs';
import { runTsCell, settle, type Settled } from './child.js';
import { ACCURACY_CONFIGS, OMNIGLOT_ZIPS, QUICK_ACCURACY, configName, type AccuracyConfig } from './accuracy-plan.js';
import { referenceAccuracy, type ReferenceAccuracy } from './reference.js';
import type { Accuracy } from '../src/core/index.js';
import { accuracyWithCi, formatTable, shown } from './table.js';

export const NOT_MATCHED = [
  'batch norm: ours normalises support and query with the support set\'s statistics; the reference uses each batch\'s own (query-batch statistics at test time, separate support/query batches for ProtoNets)',
  'conv bias: ours has none (batch norm\'s shift subsumes it); the reference keeps one',
  'random streams differ (same seeds do not mean same episodes)',
];

interface OurAccuracy {
  backend: string;
  device: string | null;
  accuracy: number;
  ci95: number;
  baselines: { scratch: Accuracy; pretrained: Accuracy } | null;
  loadSeconds: number;
  trainSeconds: number;
  evalSeconds: number;
  peakRssMiB: number;
}

export type Verdict = 'within reference CI' | 'above reference CI' | 'below reference CI';

type Timed<T> = T & { wallSeconds: number };

export interface AccuracyRow extends AccuracyConfig {
  name: string;
  ours: Settled<Timed<OurAccuracy>>;
  /** Null when the reference cannot run on this machine. */
  reference: Settled<Timed<ReferenceAccuracy>> | null;
  verdict: Verdict | null;
}

export function omniglotMissing(): string | null {
  const missing = Object.values(OMNIGLOT_ZIPS).filter((zip) => !existsSync(zip));
  return missing.length ? `Omniglot not found (${missing.join(', ')})` : null;
}

function verdict(ours: number, reference: ReferenceAccuracy): Verdict {
  if (ours > reference.test_acc + reference.ci95) return 'above reference CI';
  if (ours < reference.test_acc - reference.ci95) return 'below reference CI';
  return 'within reference CI';
}

async function timed<T>(run: () => Promise<T>): Promise<Timed<T>> {
  const started = performance.now();
  const result = await run();
  return { ...result, wallSeconds: (performance.now() - started) / 1000 };
}

function referenceArgs(c: AccuracyConfig): string[] {
  return [
    '--data', OMNIGLOT_ZIPS.background,
    '--test-data', OMNIGLOT_ZIPS.evaluation,
    '--algo', c.algo,
    '--ways', String(c.ways),
    '--shots', String(c.shots),
    '--queries', String(c.queries),
    '--iters', String(c.iterations),
    '--meta-batch', String(c.metaBatch),
    '--inner-steps', String(c.inner.steps),
    '--test-steps', String(c.inner.steps),
    '--inner-lr', String(c.inner.lr),
    '--meta-lr', String(c.metaLr),
    '--test-tasks', String(c.testEpisodes),
    '--log-every', String(Math.max(1, Math.round(c.iterations / 5))),
  ];
}

export interface AccuracyOptions {
  backend: string;
  quick: boolean;
  reference: boolean;
  baselines: boolean;
  taskBatch: string;
  /** Overrides every configuration's test episodes. */
  testEpisodes?: number;
}

export async function runAccuracy(opts: AccuracyOptions): Promise<AccuracyRow[]> {
  const rows: AccuracyRow[] = [];
  for (const planned of ACCURACY_CONFIGS) {
    const c: AccuracyConfig = {
      ...planned,
      ...(opts.quick ? QUICK_ACCURACY : {}),
      ...(opts.testEpisodes ? { testEpisodes: opts.testEpisodes } : {}),
    };
    const name = configName(c);
    process.stderr.write(`accuracy ${name}: ${c.iterations} iterations × meta-batch ${c.metaBatch}, ${c.testEpisodes} test episodes\n`);
    const ours = await settle(() =>
      timed(() =>
        runTsCell<OurAccuracy>(
          './accuracy-cell.ts',
          [
            '--config', JSON.stringify(c),
            '--backend', opts.backend,
            '--task-batch', opts.taskBatch,
            ...(opts.baselines ? ['--baselines'] : []),
          ],
          { label: '  [ours] ' },
        ),
      ),
    );
    const reference = opts.reference ? await settle(() => timed(() => referenceAccuracy(referenceArgs(c)))) : null;
    const [o, r] = [ours.value, reference?.value];
    const row: AccuracyRow = { ...c, name, ours, reference, verdict: o && r ? verdict(o.accuracy, r) : null };
    process.stderr.write(
      `  ours ${shown(ours, (v) => accuracyWithCi(v.accuracy, v.ci95))}, ` +
        `PyTorch ${shown(reference, (v) => accuracyWithCi(v.test_acc, v.ci95))}${row.verdict ? `: ${row.verdict}` : ''}\n`,
    );
    rows.push(row);
  }
  return rows;
}

export function accuracyTable(rows: readonly AccuracyRow[]): string {
  const withBaselines = rows.some((r) => r.ours.value?.baselines);
  const baselines = (r: AccuracyRow) =>
    shown(r.ours, ({ baselines: b }) =>
      b ? `${accuracyWithCi(b.scratch.mean, b.scratch.ci95)} / ${accuracyWithCi(b.pretrained.mean, b.pretrained.ci95)}` : '-',
    );
  return formatTable(
    [
      'config', 'iters × batch', 'episodes', 'ours', 'PyTorch', 'verdict', 'ours wall s', 'PyTorch wall s',
      ...(withBaselines ? ['ours baselines: scratch / pretrained'] : []),
    ],
    rows.map((r) => [
      r.name,
      `${r.iterations} × ${r.metaBatch}`,
      String(r.testEpisodes),
      shown(r.ours, (v) => accuracyWithCi(v.accuracy, v.ci95)),
      shown(r.reference, (v) => accuracyWithCi(v.test_acc, v.ci95)),
      r.verdict ?? '-',
      shown(r.ours, (v) => v.wallSeconds.toFixed(0)),
      shown(r.reference, (v) => v.wallSeconds.toFixed(0)),
      ...(withBaselines ? [baselines(r)] : []),
    ]),
  );
}
