// Part (b): Omniglot test accuracy after the same training budget, ours then PyTorch's in both
// of its batch-norm modes, per configuration. Matched: iterations, meta-batch, inner steps and
// lr (also at test time: the reference is passed --test-steps = our inner steps), meta lr, 15
// queries, rotated background classes for meta-training, unrotated evaluation classes for
// testing. The reference's `--bn support` is the same non-transductive setting as ours; its
// `--bn batch` normalises each query batch with its own statistics (transductive), the figure
// most papers report. Not matched (stated in the report): see NOT_MATCHED.
import { existsSync } from 'node:fs';
import { runTsCell, settle, type Settled } from './child.js';
import { ACCURACY_CONFIGS, OMNIGLOT_ZIPS, QUICK_ACCURACY, configName, type AccuracyConfig } from './accuracy-plan.js';
import { referenceAccuracy, type ReferenceAccuracy } from './reference.js';
import type { Accuracy } from '../src/core/index.js';
import { accuracyWithCi, formatTable, shown } from './table.js';

export const NOT_MATCHED = [
  'normalisation: ours is the model\'s (see the norm column), always non-transductive; the reference\'s --bn batch uses each batch\'s own statistics (query-batch statistics at test time, separate support/query batches for ProtoNets)',
  'conv bias: ours has none; the reference keeps one (a no-op under either batch norm: the mean subtracted includes it)',
  'random streams differ (same seeds do not mean same episodes)',
];

interface OurAccuracy {
  backend: string;
  norm: string;
  device: string | null;
  accuracy: number;
  ci95: number;
  baselines: { scratch: Accuracy; pretrained: Accuracy } | null;
  loadSeconds: number;
  trainSeconds: number;
  evalSeconds: number;
  peakRssMiB: number;
}

export type Verdict = 'within' | 'above' | 'below';

type Timed<T> = T & { wallSeconds: number };

/** The reference's batch-norm modes: support-set statistics (as ours) or each batch's own. */
export const BN_MODES = ['support', 'batch'] as const;
export type BnMode = (typeof BN_MODES)[number];

export interface AccuracyRow extends AccuracyConfig {
  name: string;
  ours: Settled<Timed<OurAccuracy>>;
  /** Null when the reference cannot run on this machine. */
  reference: Record<BnMode, Settled<Timed<ReferenceAccuracy>>> | null;
  /** Ours against each mode's 95% CI. */
  verdict: Record<BnMode, Verdict | null>;
}

export function omniglotMissing(): string | null {
  const missing = Object.values(OMNIGLOT_ZIPS).filter((zip) => !existsSync(zip));
  return missing.length ? `Omniglot not found (${missing.join(', ')})` : null;
}

function verdict(ours: Settled<OurAccuracy>, reference: Settled<ReferenceAccuracy> | undefined): Verdict | null {
  const [o, r] = [ours.value, reference?.value];
  if (!o || !r) return null;
  if (o.accuracy > r.test_acc + r.ci95) return 'above';
  if (o.accuracy < r.test_acc - r.ci95) return 'below';
  return 'within';
}

async function timed<T>(run: () => Promise<T>): Promise<Timed<T>> {
  const started = performance.now();
  const result = await run();
  return { ...result, wallSeconds: (performance.now() - started) / 1000 };
}

function referenceArgs(c: AccuracyConfig, bn: BnMode): string[] {
  return [
    '--bn', bn,
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
  /** Our image encoder's normalisation; the model's default when unset. */
  norm?: string;
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
            ...(opts.norm ? ['--norm', opts.norm] : []),
          ],
          { label: '  [ours] ' },
        ),
      ),
    );
    let reference: AccuracyRow['reference'] = null;
    if (opts.reference) {
      const support = await settle(() => timed(() => referenceAccuracy(referenceArgs(c, 'support'))));
      reference = { support, batch: await settle(() => timed(() => referenceAccuracy(referenceArgs(c, 'batch')))) };
    }
    const row: AccuracyRow = {
      ...c,
      name,
      ours,
      reference,
      verdict: { support: verdict(ours, reference?.support), batch: verdict(ours, reference?.batch) },
    };
    process.stderr.write(
      `  ours ${shown(ours, (v) => accuracyWithCi(v.accuracy, v.ci95))}, ` +
        BN_MODES.map((bn) => `PyTorch --bn ${bn} ${shown(reference?.[bn] ?? null, (v) => accuracyWithCi(v.test_acc, v.ci95))} (${row.verdict[bn] ?? '-'})`).join(', ') +
        '\n',
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
  const reference = (r: AccuracyRow, bn: BnMode) => r.reference?.[bn] ?? null;
  return formatTable(
    [
      'config', 'iters × batch', 'episodes', 'ours (norm)', 'PyTorch --bn support', 'PyTorch --bn batch', 'ours vs CIs: support / batch',
      'wall s: ours / support / batch',
      ...(withBaselines ? ['ours baselines: scratch / pretrained'] : []),
    ],
    rows.map((r) => [
      r.name,
      `${r.iterations} × ${r.metaBatch}`,
      String(r.testEpisodes),
      shown(r.ours, (v) => `${accuracyWithCi(v.accuracy, v.ci95)} (${v.norm})`),
      ...BN_MODES.map((bn) => shown(reference(r, bn), (v) => accuracyWithCi(v.test_acc, v.ci95))),
      BN_MODES.map((bn) => r.verdict[bn] ?? '-').join(' / '),
      [shown(r.ours, (v) => v.wallSeconds.toFixed(0)), ...BN_MODES.map((bn) => shown(reference(r, bn), (v) => v.wallSeconds.toFixed(0)))].join(' / '),
      ...(withBaselines ? [baselines(r)] : []),
    ]),
  );
}
