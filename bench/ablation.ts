// The FOMAML 5-way gap, taken apart: the accuracy configuration `fomaml 5-way 1-shot` run by
// ours and by the reference under single changes, each on several seeds (at this budget the
// training seed alone moves the result by more than the test CI). Reference variants patch a
// copy of maml_bench.py (a check fails loudly if the patched line moved). The reference's --bn
// batch figures are in the accuracy part's table. Accuracy only (no timings).
//   npx tsx bench/ablation.ts [--seeds 1,2,3] [--only ours|reference] [--variant <part of its name>]
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ACCURACY_CONFIGS, OMNIGLOT_ZIPS, type AccuracyConfig } from './accuracy-plan.js';
import { runJsonChild, runTsCell, settle } from './child.js';
import { PYTHON, REFERENCE, THREADS, type ReferenceAccuracy } from './reference.js';
import { accuracyWithCi, formatTable } from './table.js';

const { values } = parseArgs({
  options: { seeds: { type: 'string', default: '1,2,3' }, only: { type: 'string' }, variant: { type: 'string' } },
});
const seeds = values.seeds!.split(',').map(Number);
const plan: AccuracyConfig = ACCURACY_CONFIGS.find((c) => c.algo === 'fomaml' && c.ways === 5)!;

interface Variant {
  name: string;
  side: 'ours' | 'reference';
  /** Ours: extra accuracy-cell flags. Reference: extra train flags. */
  args: string[];
  /** Reference only: [original, replacement] lines of maml_bench.py. */
  patch?: [string, string];
}

const VARIANTS: Variant[] = [
  { name: 'ours, support-set batch norm', side: 'ours', args: ['--norm', 'support'] },
  { name: 'ours, TaskNorm-I', side: 'ours', args: ['--norm', 'tasknorm'] },
  { name: 'ours, instance norm', side: 'ours', args: ['--norm', 'instance'] },
  { name: 'ours, bilinear resize', side: 'ours', args: ['--resize', 'bilinear'] },
  { name: 'ours, Lanczos-3 resize (as the reference)', side: 'ours', args: ['--resize', 'lanczos'] },
  { name: 'reference --bn support', side: 'reference', args: ['--bn', 'support'] },
  {
    name: 'reference --bn support, bilinear resize (as ours)',
    side: 'reference',
    args: ['--bn', 'support'],
    patch: ['.resize((size, size), Image.LANCZOS)', '.resize((size, size), Image.BILINEAR)'],
  },
];

async function patched(patch: [string, string]): Promise<string> {
  const source = await readFile(REFERENCE, 'utf8');
  if (!source.includes(patch[0])) throw new Error(`maml_bench.py no longer has '${patch[0]}'`);
  const path = join(await mkdtemp(join(tmpdir(), 'fewshot-ablation-')), 'maml_bench.py');
  await writeFile(path, source.replace(patch[0], patch[1]));
  return path;
}

function referenceRun(script: string, args: string[], seed: number): Promise<ReferenceAccuracy> {
  return runJsonChild<ReferenceAccuracy>(
    PYTHON,
    [
      script, 'train',
      '--data', OMNIGLOT_ZIPS.background, '--test-data', OMNIGLOT_ZIPS.evaluation,
      '--algo', plan.algo, '--ways', String(plan.ways), '--shots', String(plan.shots), '--queries', String(plan.queries),
      '--iters', String(plan.iterations), '--meta-batch', String(plan.metaBatch),
      '--inner-steps', String(plan.inner.steps), '--test-steps', String(plan.inner.steps), '--inner-lr', String(plan.inner.lr),
      '--meta-lr', String(plan.metaLr), '--test-tasks', String(plan.testEpisodes), '--log-every', String(plan.iterations),
      '--threads', String(THREADS), '--seed', String(seed), ...args,
    ],
    { env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' }, label: '  [pytorch] ' },
  );
}

async function oursRun(args: string[], seed: number): Promise<{ accuracy: number; ci95: number }> {
  return runTsCell('./accuracy-cell.ts', ['--config', JSON.stringify(plan), '--seed', String(seed), ...args], { label: '  [ours] ' });
}

const rows: string[][] = [];
for (const v of VARIANTS.filter((v) => (!values.only || v.side === values.only) && (!values.variant || v.name.includes(values.variant)))) {
  const script = v.patch ? await patched(v.patch) : REFERENCE;
  const results: { accuracy: number; ci95: number }[] = [];
  const cells: string[] = [];
  for (const seed of seeds) {
    process.stderr.write(`${v.name}, seed ${seed}\n`);
    const r = await settle(async () => {
      if (v.side === 'ours') return oursRun(v.args, seed);
      const ref = await referenceRun(script, v.args, seed);
      return { accuracy: ref.test_acc, ci95: ref.ci95 };
    });
    if (r.value) results.push(r.value);
    cells.push(r.value ? accuracyWithCi(r.value.accuracy, r.value.ci95) : 'failed');
  }
  const mean = results.reduce((s, r) => s + r.accuracy, 0) / Math.max(results.length, 1);
  const spread = results.length ? Math.max(...results.map((r) => r.accuracy)) - Math.min(...results.map((r) => r.accuracy)) : NaN;
  rows.push([v.name, ...cells, results.length ? `${(100 * mean).toFixed(2)}%` : '-', results.length ? `${(100 * spread).toFixed(2)}` : '-']);
  process.stderr.write(`${rows[rows.length - 1].join(' | ')}\n`);
}
process.stdout.write(
  `FOMAML 5-way 1-shot, ${plan.iterations} × ${plan.metaBatch} tasks, ${plan.testEpisodes} test episodes, test steps = inner steps (${plan.inner.steps})\n` +
    formatTable(['variant', ...seeds.map((s) => `seed ${s}`), 'mean', 'max − min (points)'], rows),
);
