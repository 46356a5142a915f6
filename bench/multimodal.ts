// npm run bench:multimodal [-- --only fit,huffpost,omniglot] [-- --shots 1|5] [-- --quick] [-- --json] [-- --readme]
//                          [-- --backend B]
// The founding text's pipeline measured: (fit) what fitting TF-IDF + SVD costs on HuffPost, and
// our SVD against ml-matrix's; (huffpost) 5-way 1- and 5-shot HuffPost with ProtoNets and MAML on
// hashed vs TF-IDF + SVD text features, with the baselines, beside Bao et al.'s published figures;
// (omniglot) drawings as image, strokes or both, the fused model also with each removed at test
// time. Every cell runs in its own process; a failed cell shows as 'failed' and the run goes on.
// Tables go to stdout, and with --readme into their marked sections of bench/README.md.
import { readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import type { Accuracy } from '../src/core/index.js';
import { runTsCell, settle, type Settled } from './child.js';
import {
  BAO_ET_AL,
  HUFFPOST_CONFIGS,
  HUFFPOST_DIR,
  OMNIGLOT_CONFIGS,
  OMNIGLOT_STROKE_SETS,
  QUICK,
  type HuffPostConfig,
  type OmniglotConfig,
} from './multimodal-plan.js';
import { formatTable, shown } from './table.js';

const PARTS = ['fit', 'huffpost', 'omniglot'] as const;
type Part = (typeof PARTS)[number];

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    shots: { type: 'string' },
    quick: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    readme: { type: 'boolean', default: false },
    backend: { type: 'string', default: process.env.FEWSHOT_BACKEND ?? 'auto' },
  },
});
const parts = (values.only?.split(',') ?? [...PARTS]) as Part[];
const unknown = parts.find((p) => !PARTS.includes(p));
if (unknown) throw new Error(`--only takes ${PARTS.join(', ')}, got '${unknown}'`);
if (values.shots !== undefined && values.shots !== '1' && values.shots !== '5') throw new Error(`--shots takes 1 or 5, got '${values.shots}'`);
/** The shot counts run: both, or the one --shots asks for (to split a long run into two). */
const SHOTS = [1, 5].filter((k) => values.shots === undefined || k === Number(values.shots));
const ofShots = <C extends { shots: number }>(configs: readonly C[]) => configs.filter((c) => SHOTS.includes(c.shots));

const percent = (a: Accuracy) => `${(100 * a.mean).toFixed(2)} ± ${(100 * a.ci95).toFixed(2)}%`;
const secs = (s: number) => s.toFixed(0);
const timed = async <T>(run: () => Promise<T>): Promise<Timed<T>> => {
  const started = performance.now();
  const value = await run();
  return { ...value, wallSeconds: (performance.now() - started) / 1000 };
};
const cell = <T>(file: string, args: string[], label: string) =>
  settle(() => timed(() => runTsCell<T>(file, args, { label: `  [${label}] ` })));

type Timed<T> = T & { wallSeconds: number };
type Budget = { shots: number; iterations: number; testEpisodes: number };

/** One cell per configuration (shortened by --quick), in order; each result beside its configuration. */
async function runConfigs<C extends Budget, T>(
  configs: readonly C[],
  file: string,
  describe: (config: C) => string,
): Promise<{ config: C; result: Settled<Timed<T>> }[]> {
  const results: { config: C; result: Settled<Timed<T>> }[] = [];
  for (const planned of ofShots(configs)) {
    const config = values.quick ? { ...planned, ...QUICK } : planned;
    process.stderr.write(`${describe(config)}\n`);
    const args = ['--config', JSON.stringify(config), '--backend', values.backend!];
    results.push({ config, result: await cell<T>(file, args, file.replace(/^.*multimodal-|-cell\.ts$/g, '')) });
  }
  return results;
}

interface FitResult {
  corpus: string;
  svd: string;
  texts: number;
  hashingSeconds: number;
  rssBeforeMiB: number;
  peakRssMiB: number;
  fitSeconds?: number;
  transformSeconds?: number;
  vocabulary?: number;
  oursSvdSeconds?: number;
  librarySvdSeconds?: number;
  maxSingularValueDifference?: number;
}

async function fitPart() {
  const corpora = { train: 'meta-train classes (a run)', all: 'all 41 classes' } as const;
  const runs = [['train', 'ours'], ['all', 'ours'], ['all', 'ml-matrix']] as const;
  const results: Settled<FitResult>[] = [];
  for (const [corpus, svd] of values.quick ? runs.slice(0, 1) : runs) {
    process.stderr.write(`fit: TF-IDF + SVD (256) on ${corpora[corpus]}, ${svd} SVD\n`);
    results.push(await cell<FitResult>('./multimodal-fit-cell.ts', ['--corpus', corpus, '--svd', svd], 'fit'));
  }
  const table = formatTable(
    ['headlines fitted on', 'texts', 'vocabulary', 'fit s', 'transform all s', 'hashing all s', 'RSS before → peak MiB'],
    results.slice(0, 2).map((r, i) => [
      corpora[runs[i][0]],
      shown(r, (v) => String(v.texts)),
      shown(r, (v) => String(v.vocabulary)),
      shown(r, (v) => v.fitSeconds!.toFixed(1)),
      shown(r, (v) => v.transformSeconds!.toFixed(1)),
      shown(r, (v) => v.hashingSeconds.toFixed(1)),
      shown(r, (v) => `${v.rssBeforeMiB} → ${v.peakRssMiB}`),
    ]),
  );
  const library = results[2];
  const comparison = library
    ? `\nThe same randomised SVD (256 + 10 directions, 2 subspace iterations) of the TF-IDF matrix of all 36,900 headlines: ours ${shown(library, (v) => `${v.oursSvdSeconds!.toFixed(1)} s`)}, ` +
      `ml-matrix's QR and SVD for the dense steps ${shown(library, (v) => `${v.librarySvdSeconds!.toFixed(1)} s`)} ` +
      `(largest singular-value difference ${shown(library, (v) => v.maxSingularValueDifference!.toExponential(1))} of σ₁).\n`
    : '';
  return { tables: [{ key: 'fit', table: table + comparison }], results };
}

interface HuffPostResult {
  accuracy: Accuracy;
  baselines: { scratch: Accuracy; pretrained: Accuracy } | null;
  featurePrototypes: Accuracy | null;
  bestIteration: number;
  trainSeconds: number;
  evalSeconds: number;
  peakRssMiB: number;
}

async function huffpostPart() {
  const results = await runConfigs<HuffPostConfig, HuffPostResult>(
    HUFFPOST_CONFIGS,
    './multimodal-huffpost-cell.ts',
    (c) => `huffpost: ${c.algo} 5-way ${c.shots}-shot, ${c.features}, ${c.iterations} × ${c.metaBatch} tasks`,
  );
  const tables = SHOTS.map((shots) => {
    const rows: string[][] = [];
    for (const { config, result } of results.filter((r) => r.config.shots === shots)) {
      const name = config.algo === 'protonet' ? 'ProtoNets' : 'MAML (2nd order)';
      rows.push([`${shots}-shot`, config.features, name, shown(result, (v) => percent(v.accuracy)), shown(result, (v) => secs(v.wallSeconds))]);
      if (config.baselines) {
        rows.push([`${shots}-shot`, config.features, '  scratch (same net, support set only)', shown(result, (v) => (v.baselines ? percent(v.baselines.scratch) : '-')), '']);
        rows.push([`${shots}-shot`, config.features, '  pre-trained + new head', shown(result, (v) => (v.baselines ? percent(v.baselines.pretrained) : '-')), '']);
        rows.push([`${shots}-shot`, config.features, '  nearest class mean of the features', shown(result, (v) => (v.featurePrototypes ? percent(v.featurePrototypes) : '-')), '']);
      }
    }
    for (const bao of BAO_ET_AL) {
      rows.push([`${shots}-shot`, '(fastText)', `Bao et al. 2020: ${bao.method}`, `${(shots === 1 ? bao.oneShot : bao.fiveShot).toFixed(1)}%`, '']);
    }
    return { key: `huffpost ${shots}-shot`, table: formatTable(['5-way', 'text features', 'method', 'test accuracy ± 95% CI', 'wall s'], rows) };
  });
  return { tables, results };
}

interface OmniglotResult {
  characters: number;
  tests: { removed: string | null; accuracy: Accuracy; seconds: number }[];
  peakRssMiB: number;
}

async function omniglotPart() {
  const results = await runConfigs<OmniglotConfig, OmniglotResult>(
    OMNIGLOT_CONFIGS,
    './multimodal-omniglot-cell.ts',
    (c) => `omniglot: ProtoNets 5-way ${c.shots}-shot on ${c.inputs}, ${c.iterations} tasks`,
  );
  const rowsOf = (shots: number) => results.filter((r) => r.config.shots === shots).flatMap(({ config, result }) => {
    const tested = result.value?.tests ?? [{ removed: null }];
    return tested.map((test, i) => [
      `${config.shots}-shot`,
      config.inputs,
      test.removed ? `${config.inputs}, ${test.removed} removed` : config.inputs,
      shown(result, (v) => percent(v.tests[i].accuracy)),
      shown(result, (v) => (i === 0 ? secs(v.wallSeconds) : secs(v.tests[i].seconds))),
    ]);
  });
  const tables = SHOTS.map((shots) => ({
    key: `omniglot ${shots}-shot`,
    table: formatTable(['5-way', 'trained on', 'tested with', 'test accuracy ± 95% CI', 'wall s'], rowsOf(shots)),
  }));
  return { tables, results };
}

const missing: Partial<Record<Part, string>> = {
  huffpost: existsSync(HUFFPOST_DIR) ? undefined : `HuffPost not found at ${HUFFPOST_DIR}`,
  fit: existsSync(HUFFPOST_DIR) ? undefined : `HuffPost not found at ${HUFFPOST_DIR}`,
  omniglot: OMNIGLOT_STROKE_SETS.every(existsSync) ? undefined : `Omniglot's small sets not found (${OMNIGLOT_STROKE_SETS.join(', ')})`,
};
const run = { fit: fitPart, huffpost: huffpostPart, omniglot: omniglotPart };

const report: Record<string, unknown> = { quick: values.quick, backend: values.backend };
/** Tables keyed as their README sections: fit, huffpost 1-shot, ..., omniglot 5-shot. */
const sections: [string, string][] = [];
for (const part of parts) {
  const loadBefore = loadavg();
  const started = performance.now();
  if (missing[part]) {
    process.stderr.write(`${part} skipped: ${missing[part]}\n`);
    continue;
  }
  const { tables, results } = await run[part]();
  const minutes = (performance.now() - started) / 60_000;
  const footer =
    `${new Date().toISOString().slice(0, 10)}, load average ${loadBefore.map((l) => l.toFixed(1)).join(' ')} at start, ` +
    `${loadavg().map((l) => l.toFixed(1)).join(' ')} at end; ${minutes.toFixed(1)} min${values.quick ? '; --quick: a smoke run, not a measurement' : ''}\n`;
  for (const { key, table } of tables) sections.push([key, `${table}\n${footer}`]);
  report[part] = { results, minutes, loadBefore, loadAfter: loadavg() };
}
process.stdout.write(sections.map(([part, text]) => `== ${part}\n${text}`).join('\n'));
if (values.json) process.stdout.write(`${JSON.stringify(report)}\n`);

if (values.readme) {
  const path = fileURLToPath(new URL('./README.md', import.meta.url));
  let readme = await readFile(path, 'utf8');
  for (const [part, text] of sections) {
    const [open, close] = [`<!-- bench:multimodal ${part} -->`, `<!-- /bench:multimodal ${part} -->`];
    const [from, to] = [readme.indexOf(open), readme.indexOf(close)];
    if (from < 0 || to < from) throw new Error(`bench/README.md lacks the ${open} … ${close} markers`);
    readme = `${readme.slice(0, from + open.length)}\n\`\`\`\n${text}\`\`\`\n${readme.slice(to)}`;
  }
  await writeFile(path, readme);
  process.stderr.write(`tables written into ${path}\n`);
}
