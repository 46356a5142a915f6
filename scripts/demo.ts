// npm run demo [-- --synthetic] [-- --algorithm protonet|maml|fomaml|reptile|metasgd|anil] [-- --iterations N]
//              [-- --meta-batch N] [-- --eval-episodes N] [-- --no-baselines] [-- --timeout SECONDS]
//
// Fewshot end to end over HTTP, in a couple of minutes on two cores: starts
// `fewshot serve --with-worker`, uploads a dataset (Omniglot's small background set as a zip
// when ../shared/datasets/omniglot has it, else generated
// PNG images), meta-trains a small model while streaming its progress, prints its evaluation
// against both baselines, classifies five classes it never saw from one example each, does the
// same through a stored adaptation, and shuts the service down. Exits non-zero on any failure.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { unzipSync, zipSync } from 'fflate';
import sharp from 'sharp';
import { ApiError, type Algorithm, type CreateJob, type Example, type Job } from 'fewshot/client';
import { startService, type RunningService } from './lib/service.js';
import { formatTable } from '../bench/table.js';
import { asQuery, blobImages, labelAccuracy } from './lib/synthetic.js';
import { SHARED_DATASETS } from './lib/shared.js';

const { values: args } = parseArgs({
  options: {
    synthetic: { type: 'boolean', default: false },
    algorithm: { type: 'string', default: 'protonet' },
    iterations: { type: 'string', default: '60' },
    'meta-batch': { type: 'string', default: '5' },
    'eval-episodes': { type: 'string', default: '20' },
    'no-baselines': { type: 'boolean', default: false },
    timeout: { type: 'string', default: '900' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
const USAGE =
  'npm run demo [-- --synthetic] [-- --algorithm protonet|maml|fomaml|reptile|metasgd|anil] [-- --iterations 60] [-- --meta-batch 5]\n' +
  '             [-- --eval-episodes 20] [-- --no-baselines] [-- --timeout 900]';
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}
const usage = (message: string): never => {
  console.error(`${message}\n\n${USAGE}`);
  process.exit(2);
};
const ALGORITHMS: Algorithm[] = ['maml', 'fomaml', 'reptile', 'protonet', 'metasgd', 'anil'];
const positive = (name: string, value: string | undefined, min = 1) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) usage(`--${name} takes an integer ≥ ${min}, got '${value}'`);
  return n;
};
if (!ALGORITHMS.includes(args.algorithm as Algorithm)) usage(`--algorithm is one of ${ALGORITHMS.join(', ')}`);
const algorithm = args.algorithm as Algorithm;
const iterations = positive('iterations', args.iterations);
const metaBatch = positive('meta-batch', args['meta-batch']);
const evalEpisodes = positive('eval-episodes', args['eval-episodes'], 0);
const baselines = !args['no-baselines'];
const timeoutMs = positive('timeout', args.timeout) * 1000;

/** A failure this script describes itself: printed without a stack trace. */
class DemoError extends Error {}

const WAYS = 5;
const SHOTS = 1;
const TRAIN_QUERIES = 5;
const DEMO_QUERIES = 3; // per unseen class

// ---------------------------------------------------------------------------------------------
// Output

const tty = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: string) => (text: string) => (tty ? `\x1b[${code}m${text}\x1b[0m` : text);
const bold = paint('1');
const dim = paint('2');
const green = paint('32');
const red = paint('31');
const cyan = paint('36');
const started = performance.now();
let stepNo = 0;
const STEPS = 7;
const step = (title: string) => console.log(`\n${bold(cyan(`[${++stepNo}/${STEPS}]`))} ${bold(title)}`);
const say = (text = '') => console.log(text.split('\n').map((l) => `      ${l}`).join('\n'));
/** One line rewritten in place on a terminal; plain lines elsewhere (only those `important`). */
let live = false;
const status = (text: string, important: boolean) => {
  if (tty) {
    process.stdout.write(`\r\x1b[2K      ${text}`);
    live = true;
  } else if (important) say(text);
};
const endStatus = () => {
  if (live) process.stdout.write('\n');
  live = false;
};
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const secs = (ms: number) => (ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`);
const kb = (bytes: number) => (bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(0)} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`);
const table = (headers: string[], rows: string[][]) => formatTable(headers, rows, { rule: false, header: bold }).trimEnd();

/**
 * Small images side by side as text. Ink (the minority tone) is drawn; each character cell
 * shows how much ink the pixels it covers hold (an area average, so thin strokes survive).
 */
async function asciiImages(pngs: string[], width = 16, height = 8): Promise<string> {
  const cells = await Promise.all(
    pngs.map(async (png) => {
      const bytes = Buffer.from(png, 'base64');
      const { channels } = await sharp(bytes).grayscale().stats();
      const background = channels[0].mean > 127 ? 255 : 0;
      // Cropped to the drawing (Omniglot's glyphs sit small in wide margins), kept square.
      const { data, info } = await sharp(bytes)
        .grayscale()
        .trim({ threshold: 40 })
        .resize(64, 64, { fit: 'contain', background: { r: background, g: background, b: background } })
        .raw()
        .toBuffer({ resolveWithObject: true });
      const mean = background;
      const ink = (v: number) => (mean > 127 ? 255 - v : v) / 255;
      return Array.from({ length: height }, (_, y) =>
        Array.from({ length: width }, (_, x) => {
          let v = 0;
          let n = 0;
          const [y0, y1] = [Math.floor((y * info.height) / height), Math.ceil(((y + 1) * info.height) / height)];
          const [x0, x1] = [Math.floor((x * info.width) / width), Math.ceil(((x + 1) * info.width) / width)];
          for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++, n++) v += ink(data[yy * info.width + xx]);
          v /= n;
          return v > 0.35 ? '█' : v > 0.18 ? '▓' : v > 0.08 ? '░' : ' ';
        }).join(''),
      );
    }),
  );
  const gap = '  ';
  const titles = pngs.map((_, i) => ` ${i + 1}`.padEnd(width + 2)).join(gap);
  const rows = Array.from({ length: height }, (_, y) => cells.map((c) => `|${c[y]}|`).join(gap));
  return [titles, ...rows].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Data

interface DemoData {
  describe: string;
  upload(service: RunningService): Promise<{ id: string; summary: string }>;
  /** Five classes the model never saw: one support example and a few queries each. */
  unseen: { source: string; support: Example[]; queries: Example[] };
}

function omniglotDir(): string | null {
  const candidates = [process.env.FEWSHOT_OMNIGLOT_DIR, join(SHARED_DATASETS, 'omniglot')];
  return candidates.find((dir) => dir && existsSync(join(dir, 'images_background_small1.zip'))) ?? null;
}

/** `<top>/<Alphabet>/<characterNN>/<file>.png` → 'Alphabet/characterNN' and the drawings of each. */
function characters(files: Record<string, Uint8Array>): Map<string, { path: string; bytes: Uint8Array }[]> {
  const byClass = new Map<string, { path: string; bytes: Uint8Array }[]>();
  for (const path of Object.keys(files).sort()) {
    const parts = path.split('/');
    if (parts.length < 4 || !path.endsWith('.png')) continue;
    const name = parts.slice(-3, -1).join('/');
    byClass.set(name, [...(byClass.get(name) ?? []), { path, bytes: files[path] }]);
  }
  return byClass;
}

/** One character from each of five alphabets spread over the list; drawings 1 (support) and 2.. (queries). */
function pickUnseen(byClass: Map<string, { path: string; bytes: Uint8Array }[]>, exclude = new Set<string>()) {
  const alphabets = [...new Set([...byClass.keys()].map((c) => c.split('/')[0]))].sort();
  const chosen: string[] = [];
  for (let i = 0; chosen.length < WAYS && i < alphabets.length * 2; i++) {
    const alphabet = alphabets[Math.floor((i * alphabets.length) / WAYS) % alphabets.length];
    const name = [...byClass.keys()].find((c) => c.startsWith(`${alphabet}/`) && !chosen.includes(c) && !exclude.has(c));
    if (name) chosen.push(name);
  }
  if (chosen.length < WAYS) throw new Error('not enough Omniglot characters for the unseen classes');
  const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
  const support = chosen.map((label) => ({ label, image: b64(byClass.get(label)![0].bytes) }));
  const queries: Example[] = [];
  for (let q = 1; q <= DEMO_QUERIES; q++) {
    for (const label of chosen) queries.push({ label, image: b64(byClass.get(label)![q].bytes) });
  }
  return { support, queries };
}

async function omniglotData(dir: string): Promise<DemoData> {
  const zipPath = join(dir, 'images_background_small1.zip');
  const zip = await readFile(zipPath);
  const evaluationZip = join(dir, 'images_evaluation.zip');
  if (existsSync(evaluationZip)) {
    const files = unzipSync(await readFile(evaluationZip), { filter: (f) => f.name.endsWith('.png') && /_0[1-4]\.png$/.test(f.name) });
    return {
      describe: `Omniglot images_background_small1.zip (${kb(zip.length)}, 5 alphabets) from ${dir}`,
      upload: async (service) => {
        const ds = await service.client.uploadZip(zip, { name: 'omniglot-small1', imageSize: 28, channels: 1 });
        return { id: ds.id, summary: `${ds.id} "${ds.name}": ${ds.numClasses} classes, ${ds.numExamples} images (application/zip, ${kb(zip.length)})` };
      },
      unseen: { source: 'images_evaluation.zip: alphabets the training set does not contain', ...pickUnseen(characters(files)) },
    };
  }
  // No evaluation set: hold five characters out of the upload instead.
  const files = unzipSync(zip);
  const byClass = characters(files);
  const unseen = pickUnseen(byClass);
  const held = new Set(unseen.support.map((e) => e.label));
  const kept = Object.fromEntries(Object.entries(files).filter(([path]) => !held.has(path.split('/').slice(-3, -1).join('/'))));
  const rezipped = zipSync(kept, { level: 0 });
  return {
    describe: `Omniglot images_background_small1.zip from ${dir}, less 5 held-out characters`,
    upload: async (service) => {
      const ds = await service.client.uploadZip(rezipped, { name: 'omniglot-small1-heldout', imageSize: 28, channels: 1 });
      return { id: ds.id, summary: `${ds.id} "${ds.name}": ${ds.numClasses} classes, ${ds.numExamples} images (application/zip, ${kb(rezipped.length)})` };
    },
    unseen: { source: 'characters held out of the upload', ...unseen },
  };
}

async function syntheticData(): Promise<DemoData> {
  const train = await blobImages({ classes: 60, perClass: 12, seed: 1, prefix: 'pattern' });
  const unseen = await blobImages({ classes: WAYS, perClass: 1 + DEMO_QUERIES, seed: 777, prefix: 'new-pattern' });
  const support = unseen.filter((_, i) => i % (1 + DEMO_QUERIES) === 0);
  const queries: Example[] = [];
  for (let q = 1; q <= DEMO_QUERIES; q++) for (let c = 0; c < WAYS; c++) queries.push(unseen[c * (1 + DEMO_QUERIES) + q]);
  return {
    describe: 'generated 28×28 PNG images: 60 blob patterns × 12 shifted, noisy copies (no Omniglot found)',
    upload: async (service) => {
      const ds = await service.client.createDataset('blob-patterns', train);
      return { id: ds.id, summary: `${ds.id} "${ds.name}": ${ds.numClasses} classes, ${ds.numExamples} images (application/json, base64 PNGs)` };
    },
    unseen: { source: 'five newly generated patterns (another seed)', support, queries },
  };
}

// ---------------------------------------------------------------------------------------------
// The run

function showProgress(job: Job, lastShown: { iteration: number }) {
  const p = job.progress;
  if (job.status === 'queued') return status('queued, waiting for the worker…', false);
  if (!p) return status('running: loading the dataset and the backend…', false);
  const width = 24;
  const filled = Math.round((width * p.iteration) / p.iterations);
  const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
  const validation = p.validationAccuracy === null ? '' : `  val acc ${pct(p.validationAccuracy)}`;
  const line =
    `${bar} it ${String(p.iteration).padStart(String(p.iterations).length)}/${p.iterations}  loss ${p.loss.toFixed(3)}  ` +
    `train acc ${pct(p.accuracy)}${validation}  ${p.tasksPerSecond.toFixed(1)} tasks/s  eta ${Math.round(p.etaSeconds)} s`;
  const every = Math.max(1, Math.round(p.iterations / 6));
  const important = p.iteration - lastShown.iteration >= every || p.iteration === p.iterations;
  if (important) lastShown.iteration = p.iteration;
  status(line, important);
}


async function run(service: RunningService, data: DemoData, cancel: AbortSignal): Promise<void> {
  const { client } = service;

  step('Uploading a dataset (POST /v1/datasets)');
  say(data.describe);
  let t = performance.now();
  const dataset = await data.upload(service);
  say(`${green('✓')} ${dataset.summary} in ${secs(performance.now() - t)}`);
  const details = await client.getDataset(dataset.id);
  const image = details.spec.image;
  if (image) say(dim(`images stored as ${image.width}×${image.height}×${image.channels}; e.g. classes ${details.classes.slice(0, 3).map((c) => c.name).join(', ')}, …`));

  step(`Queueing a meta-training job (POST /v1/jobs)`);
  const job: CreateJob = {
    datasetId: dataset.id,
    algorithm,
    model: { filters: 32 },
    episode: { ways: WAYS, shots: SHOTS, queries: TRAIN_QUERIES },
    outer: { iterations, metaBatchSize: metaBatch },
    validation: { every: Math.max(1, Math.round(iterations / 3)), episodes: 10 },
    checkpointEvery: Math.max(1, Math.round(iterations / 3)),
    seed: 1,
    evaluation: { episodes: evalEpisodes, baselines },
  };
  const accepted = await client.createJob(job);
  say(`${green('✓')} ${accepted.id} (${accepted.status})`);
  say(
    dim(
      `${algorithm}, conv4 with 32 filters, ${WAYS}-way ${SHOTS}-shot episodes with ${TRAIN_QUERIES} queries per class, ` +
        `${iterations} iterations × ${metaBatch} tasks = ${iterations * metaBatch} episodes; ` +
        `then ${evalEpisodes} test episodes on held-out classes${baselines ? ', with both baselines' : ''}`,
    ),
  );

  step(`Training — progress streamed from GET /v1/jobs/${accepted.id}/events (SSE)`);
  t = performance.now();
  const lastShown = { iteration: 0 };
  let trainedAt: number | null = null;
  let events = 0;
  // Evaluation events carry episodes done; a local clock keeps the line alive between them.
  let evaluated = '';
  const ticker = setInterval(() => {
    if (trainedAt !== null) status(`evaluating the model and baselines on held-out classes… ${evaluated}${secs(performance.now() - trainedAt)}`, false);
  }, 1000);
  let finished: Job;
  try {
    finished = await client.followJob(
      accepted.id,
      ({ job: current }) => {
        events++;
        if (current.status !== 'running' && current.status !== 'queued') return;
        const p = current.progress;
        if (p && p.iteration === p.iterations) {
          if (p.evaluation) evaluated = `episode ${p.evaluation.done}/${p.evaluation.episodes}, `;
          else if (p.baseline) evaluated = `pre-training the baseline ${p.baseline.done}/${p.baseline.steps}, `;
          if (trainedAt === null) {
            showProgress(current, lastShown);
            endStatus();
            trainedAt = performance.now();
            say(`training done in ${secs(trainedAt - t)}; evaluating on held-out classes…`);
          }
          return;
        }
        showProgress(current, lastShown);
      },
      cancel,
    );
  } finally {
    clearInterval(ticker);
    endStatus();
  }
  if (finished.status !== 'completed' || !finished.modelId) {
    throw new DemoError(`job ${finished.id} ended ${finished.status}${finished.error ? `: ${finished.error}` : ''}`);
  }
  const evaluationMs = trainedAt === null ? null : performance.now() - trainedAt;
  say(
    `${green('✓')} ${finished.status} in ${secs(performance.now() - t)}` +
      (evaluationMs === null ? '' : ` (evaluation ${secs(evaluationMs)})`) +
      ` — ${events} events; backend ${finished.backend?.name ?? '?'}; model ${finished.modelId}`,
  );

  step(`The model's evaluation (GET /v1/models/${finished.modelId})`);
  const model = await client.getModel(finished.modelId);
  const ev = model.evaluation;
  if (!ev) {
    say('no evaluation (evaluation episodes were 0, or the dataset has too few test classes)');
  } else {
    const ci = (a: { mean: number; ci95: number }) => `${pct(a.mean).padStart(6)} ± ${pct(a.ci95)}`;
    const rows = [[`meta-learned (${model.algorithm})`, ci(ev.accuracy)]];
    if (ev.baselines) {
      rows.push(['same network trained from scratch', ci(ev.baselines.scratch)]);
      rows.push(['pre-trained, new linear head', ci(ev.baselines.pretrained)]);
    }
    rows.push(['chance', pct(1 / ev.ways).padStart(6)]);
    say(`${ev.episodes} test episodes, ${ev.ways}-way ${ev.shots}-shot, ${ev.queries} queries per class, on classes held out of training:`);
    say(table(['method', 'accuracy ± 95% CI'], rows));
    if (model.bestValidationAccuracy !== null) say(dim(`best validation accuracy ${pct(model.bestValidationAccuracy)} (its checkpoint is the one served)`));
  }

  const { support, queries } = data.unseen;
  step(`Classifying ${WAYS} classes the model never saw, from ${SHOTS} example each (POST /v1/models/:id/predict)`);
  say(`${data.unseen.source}. The support set — one example per label:`);
  say(await asciiImages(support.map((e) => e.image!)));
  say(dim(support.map((e, i) => `${i + 1} ${e.label}`).join('   ')));
  t = performance.now();
  const direct = await client.predict(model.id, { support, queries: queries.map(asQuery) });
  const directMs = performance.now() - t;
  const rows = direct.predictions.map((p, i) => {
    const ok = p.label === queries[i].label;
    return [String(i + 1), queries[i].label, p.label, p.confidence.toFixed(2), ok ? green('✓') : red('✗')];
  });
  say(table(['query', 'truth', 'predicted', 'confidence', ''], rows));
  const directAccuracy = labelAccuracy(direct.predictions, queries);
  const correct = Math.round(directAccuracy * queries.length);
  say(
    `${bold(`accuracy ${correct}/${queries.length} = ${pct(directAccuracy)}`)} (chance ${pct(1 / WAYS)}); ` +
      `request ${directMs.toFixed(0)} ms, of which adaptation ${direct.adaptation.ms.toFixed(0)} ms (${direct.adaptation.steps} steps)`,
  );
  if (directAccuracy <= 1 / WAYS) say(red('warning: not above chance — the model is very under-trained (try --iterations 200)'));

  step('Adapting once, then predicting through the adaptation (POST /v1/models/:id/adaptations, /v1/adaptations/:id/predict)');
  t = performance.now();
  const adaptation = await client.createAdaptation(model.id, { support });
  const adaptMs = performance.now() - t;
  say(`${green('✓')} ${adaptation.id}: labels ${adaptation.labels.join(', ')}; ${adaptation.steps} steps; expires ${adaptation.expiresAt} (${adaptMs.toFixed(0)} ms)`);
  t = performance.now();
  const adapted = await client.predictAdapted(adaptation.id, queries.map(asQuery));
  const adaptedMs = performance.now() - t;
  const adaptedAccuracy = labelAccuracy(adapted.predictions, queries);
  const same = adapted.predictions.every((p, i) => p.label === direct.predictions[i].label);
  say(
    `${bold(`accuracy ${Math.round(adaptedAccuracy * queries.length)}/${queries.length} = ${pct(adaptedAccuracy)}`)} in ${adaptedMs.toFixed(0)} ms; ` +
      `same labels as the one-call predict: ${same ? green('yes') : red('no')}`,
  );
  if (!same) throw new DemoError('the adaptation predicted differently from the one-call predict with the same support set');
  await client.deleteAdaptation(adaptation.id);
}

async function main(): Promise<number> {
  console.log(bold('Fewshot demo') + dim(' — meta-train a few-shot classifier over HTTP, then classify classes it never saw'));
  const dir = args.synthetic ? null : omniglotDir();
  const data = dir ? await omniglotData(dir) : await syntheticData();

  step('Starting `fewshot serve --with-worker` (node bin/fewshot.js)');
  const service = await startService({ prefix: 'fewshot-demo' });
  const r = service.readiness;
  say(`${green('✓')} ready at ${service.url} in ${secs(service.startMs)} (pid ${service.pid}); dashboard at ${service.url}/ui/ while the demo runs`);
  say(
    dim(
      `backend ${r.backend.name}${r.backend.device ? ` (${r.backend.device})` : ''}; ${r.workers.count} training worker; ` +
        `Redis ${service.privateRedis() ? 'private redis-server' : 'at 127.0.0.1:6379'}, key prefix ${service.prefix}; ` +
        `data ${service.dataDir}; log ${service.logFile}`,
    ),
  );
  say(dim(service.client.apiKey ? 'auth on: every request sends the admin key the service was seeded with (FEWSHOT_API_KEYS)' : 'auth off (FEWSHOT_AUTH=off)'));

  let failure: unknown = null;
  const interrupted = new Promise<never>((_, reject) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => reject(new DemoError(`interrupted (${signal})`)));
  });
  interrupted.catch(() => {}); // a second signal, while shutting down, changes nothing
  // Aborting ends the job's event stream: an open stream would hold up the service's graceful shutdown.
  const cancel = new AbortController();
  const timeout = setTimeout(() => cancel.abort(new DemoError(`timed out after ${timeoutMs / 1000} s (--timeout)`)), timeoutMs);
  try {
    await Promise.race([run(service, data, cancel.signal), interrupted]);
  } catch (error) {
    failure = error;
  } finally {
    clearTimeout(timeout);
    cancel.abort();
  }

  endStatus();
  console.log(`\n${bold('Shutting down')} (SIGTERM to pid ${service.pid})`);
  if (failure) {
    const known = failure instanceof ApiError || failure instanceof DemoError;
    console.error(red(`\n✗ ${known ? (failure as Error).message : ((failure as Error).stack ?? String(failure))}`));
    console.error(dim(`last lines of the service log (${service.logFile}):\n${await service.logTail(15)}`));
  }
  const privateRedis = service.privateRedis();
  const stopped = await service.stop({ keepLog: failure !== null });
  say(
    `${stopped.exitCode === 0 ? green('✓') : red('✗')} exited ${stopped.exitCode ?? stopped.signal} in ${secs(stopped.ms)}; ` +
      `removed ${service.dataDir}${privateRedis ? '' : ` and the ${service.prefix}:* Redis keys`}` +
      (failure ? `; kept the log at ${service.logFile}` : ''),
  );
  if (stopped.exitCode !== 0) failure ??= new DemoError(`the service exited with ${stopped.exitCode ?? stopped.signal}`);
  console.log(failure ? red(bold(`\nDemo failed after ${secs(performance.now() - started)}.`)) : bold(`\nDone in ${secs(performance.now() - started)}.`));
  return failure ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(red(`demo failed: ${error instanceof Error ? error.message : String(error)}`));
    process.exit(1);
  },
);
