// How long a small job evaluates next to how long it trained (issue 12): meta-training, then the
// test evaluation with both baselines, timed apart, for
//   text      a 7-class text dataset (HuffPost, categories 0-6, 40 headlines each), ProtoNets 3-way
//             1-shot 5 queries, 200 × 32 tasks, default evaluation (the split leaves 2 test classes);
//   omniglot  the demo's job: images_background_small1, ProtoNets 5-way 1-shot 5 queries,
//             32 filters, 60 × 5 tasks, 20 episodes.
// npx tsx bench/evaluation-time.ts text|omniglot [--root <checkout>]   (--root: time another
// checkout's core, e.g. a worktree of main, for before/after; its node_modules must resolve)
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { SHARED_DATASETS } from '../scripts/lib/shared.js';

const { values, positionals } = parseArgs({ options: { root: { type: 'string' } }, allowPositionals: true });
const which = positionals[0];
if (which !== 'text' && which !== 'omniglot') throw new Error('usage: npx tsx bench/evaluation-time.ts text|omniglot [--root <checkout>]');
const root = resolve(values.root ?? join(import.meta.dirname, '..'));
const core = (await import(join(root, 'src/core/index.ts'))) as typeof import('../src/core/index.js');
const backend = await core.initBackend('auto');

async function job() {
  if (which === 'text') {
    const lines = readFileSync(join(SHARED_DATASETS, 'huffpost', 'huffpost.json'), 'utf8').trim().split('\n');
    const kept = new Map<number, number>();
    const examples = lines
      .map((line) => JSON.parse(line) as { raw: string; label: number })
      .filter(({ label }) => label < 7 && kept.set(label, (kept.get(label) ?? 0) + 1).get(label)! <= 40)
      .map(({ raw, label }) => ({ label: `c${label}`, text: raw }));
    return {
      dataset: await core.buildDataset('huffpost-7', examples),
      config: core.defaultTrainConfig({ algorithm: 'protonet', episode: { ways: 3, shots: 1, queries: 5 }, outer: { iterations: 200 } }),
    };
  }
  const { dataset } = await core.loadOmniglot(join(SHARED_DATASETS, 'omniglot', 'images_background_small1.zip'), {});
  const config = core.defaultTrainConfig({
    algorithm: 'protonet',
    model: { filters: 32 },
    episode: { ways: 5, shots: 1, queries: 5 },
    outer: { iterations: 60, metaBatchSize: 5 },
    validation: { every: 20, episodes: 10 },
    checkpointEvery: 20,
    evaluation: { episodes: 20, baselines: true },
  });
  return { dataset, config };
}

const { dataset, config } = await job();
const dir = mkdtempSync(join(tmpdir(), 'fewshot-eval-time-'));
try {
  const started = performance.now();
  let trained = 0;
  const result = await core.trainRun({
    dataset,
    config,
    dir,
    onProgress: (p) => {
      if (p.phase === 'meta-training' && p.iteration === p.iterations) trained ||= performance.now();
    },
  });
  const ended = performance.now();
  const e = result.evaluation!;
  const pct = (x: number | undefined) => (x === undefined ? '-' : `${(100 * x).toFixed(1)}%`);
  console.log(
    `${which} (${backend.name}): trained ${((trained - started) / 1000).toFixed(1)} s, evaluated ${((ended - trained) / 1000).toFixed(1)} s; ` +
      `${e.episodes} episodes ${e.ways}-way; accuracy ${pct(e.accuracy.mean)}, scratch ${pct(e.baselines?.scratch.mean)}, pre-trained ${pct(e.baselines?.pretrained.mean)}`,
  );
  if (e.timing) console.log(JSON.stringify(e.timing));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
