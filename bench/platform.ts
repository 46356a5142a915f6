// npm run bench:platform [-- --only auth|checkpoints] [-- --duration 20] [-- --repeats 10] [-- --json]
//
// What running Fewshot as a shared, multi-machine service costs:
//   auth        the latency auth + rate limiting add to a request. One model is trained on a
//               service with auth and rate limiting on (a seeded admin key, budgets no load
//               reaches); a second service on the same Redis prefix and data serves the same
//               model with FEWSHOT_AUTH=off and no budgets. One client sends sequential requests
//               (keep-alive), alternating between the two in blocks of 25 for --duration seconds
//               each, timed with performance.now(): POST /v1/models/:id/predict (an MLP, 5-way
//               1-shot, 15 queries) and GET /v1/models/:id (no tensor work: the overhead alone).
//               The p50/p99/mean differences are the cost.
//   checkpoints save and load times of a conv4 checkpoint (MAML with its Adam state, as a job
//               writes it) on local disk, and on an S3-compatible server on loopback (s3rver:
//               disk-backed, in this process), as the worker and the API do it: save = write +
//               publish (blobs, then manifest, then the pointer), load = fetch into an empty
//               cache + verify checksums + read.
// Holds no lock itself: run it as `flock <lock-file> npm run bench:platform` where
// several people share a machine.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readCheckpoint, writeCheckpoint } from '../src/core/checkpoint/checkpoint.js';
import { initBackend, trainRun, defaultTrainConfig, tinyImages } from '../src/core/index.js';
import { RunStorage } from '../src/service/storage/runs.js';
import { S3Storage } from '../src/service/storage/s3.js';
import { startService, type RunningService } from '../scripts/lib/service.js';
import { clusterVectors } from '../scripts/lib/synthetic.js';
import { startS3 } from '../test/service/s3-server.js';

const { values: args } = parseArgs({
  options: {
    only: { type: 'string' },
    duration: { type: 'string', default: '20' },
    repeats: { type: 'string', default: '10' },
    json: { type: 'boolean', default: false },
  },
});
const duration = Number(args.duration);
const repeats = Number(args.repeats);
const log = (text: string) => process.stderr.write(`${text}\n`);
const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

// ---------------------------------------------------------------------------------------------

interface Latency {
  requests: number;
  p50: number;
  p99: number;
  mean: number;
}

const latency = (xs: number[]): Latency => ({
  requests: xs.length,
  p50: round(percentile(xs, 50), 3),
  p99: round(percentile(xs, 99), 3),
  mean: round(xs.reduce((a, b) => a + b, 0) / xs.length, 3),
});

/** Requests per mode before switching to the other. */
const BLOCK = 25;

async function authOverhead(): Promise<Record<string, Record<'on' | 'off', Latency>>> {
  const on = await startService({
    prefix: 'fewshot-bench-auth',
    logLevel: 'warn',
    env: { FEWSHOT_RATE_LIMIT_PREDICT: '1000000000', FEWSHOT_RATE_LIMIT_READ: '1000000000', FEWSHOT_RATE_LIMIT_TRAIN: '1000000000' },
  });
  let off: RunningService | null = null;
  try {
    const examples = clusterVectors({ classes: 10, perClass: 10, dim: 64, noise: 0.5, seed: 2, prefix: 'c' });
    const dataset = await on.client.createDataset('bench-auth', examples);
    const { id } = await on.client.createJob({
      datasetId: dataset.id,
      algorithm: 'maml',
      episode: { ways: 5, shots: 1, queries: 5 },
      outer: { iterations: 5, metaBatchSize: 2 },
      validation: { every: 0 },
      evaluation: { episodes: 0 },
    });
    const job = await on.client.followJob(id, () => {});
    if (!job.modelId) throw new Error(`training ended ${job.status}`);
    // The same model, data and Redis, served with auth off and no budgets.
    off = await startService({
      prefix: 'fewshot-bench-noauth',
      logLevel: 'warn',
      auth: false,
      env: {
        FEWSHOT_REDIS_PREFIX: on.prefix,
        FEWSHOT_DATA_DIR: on.dataDir,
        FEWSHOT_RATE_LIMIT_PREDICT: '0',
        FEWSHOT_RATE_LIMIT_READ: '0',
        FEWSHOT_RATE_LIMIT_TRAIN: '0',
      },
    });
    const unseen = clusterVectors({ classes: 5, perClass: 4, dim: 64, noise: 0.5, seed: 9, prefix: 'u' });
    const predictBody = JSON.stringify({
      support: unseen.filter((_, i) => i % 4 === 0),
      queries: unseen.filter((_, i) => i % 4 !== 0).map(({ vector }) => ({ vector })),
    });
    const routes = [
      { name: 'POST /v1/models/:id/predict', path: `/v1/models/${job.modelId}/predict`, method: 'POST', body: predictBody },
      { name: 'GET /v1/models/:id', path: `/v1/models/${job.modelId}`, method: 'GET', body: undefined },
    ];
    const services = { on, off };
    const results: Record<string, Record<'on' | 'off', Latency>> = {};
    for (const route of routes) {
      const samples: Record<'on' | 'off', number[]> = { on: [], off: [] };
      const once = async (mode: 'on' | 'off') => {
        const { client } = services[mode];
        const headers = { ...(route.body ? { 'content-type': 'application/json' } : {}), ...client.authHeaders() };
        const t = performance.now();
        const res = await fetch(client.url(route.path), { method: route.method, headers, body: route.body });
        await res.arrayBuffer();
        if (!res.ok) throw new Error(`${route.name} with auth ${mode}: ${res.status}`);
        return performance.now() - t;
      };
      for (const mode of ['on', 'off'] as const) for (let i = 0; i < 20; i++) await once(mode); // warm: connections, caches, JIT
      // Small alternating blocks: both modes see the same background load on a shared machine.
      const deadline = performance.now() + 2 * duration * 1000;
      while (performance.now() < deadline) {
        for (const mode of ['on', 'off'] as const) for (let i = 0; i < BLOCK; i++) samples[mode].push(await once(mode));
      }
      results[route.name] = { on: latency(samples.on), off: latency(samples.off) };
      log(`  ${route.name}: auth on ${JSON.stringify(results[route.name].on)}, off ${JSON.stringify(results[route.name].off)}`);
    }
    return results;
  } finally {
    await off?.stop();
    await on.stop();
  }
}

// ---------------------------------------------------------------------------------------------

async function checkpointTimes() {
  const backend = await initBackend('auto');
  const work = await mkdtemp(join(tmpdir(), 'fewshot-bench-ckpt-'));
  const s3 = await startS3('fewshot-bench');
  try {
    // A real conv4 MAML checkpoint, Adam state included, as a job writes it.
    const dataset = tinyImages({ classes: 10, perClass: 4, seed: 1 });
    const config = defaultTrainConfig({
      algorithm: 'maml',
      episode: { ways: 5, shots: 1, queries: 1 },
      outer: { iterations: 1, metaBatchSize: 1 },
      validation: { every: 0 },
      evaluation: { episodes: 0 },
    });
    const run = await trainRun({ dataset, config, dir: join(work, 'source') });
    const source = await readCheckpoint(run.bestCheckpoint);
    const { manifest } = source;
    const params = manifest.params.map((p, i) => ({ spec: { ...p, init: 'zeros' as const }, values: source.params[i] }));
    const { format: _f, createdAt: _c, files, params: _p, optimizer: _o, ...fields } = manifest;
    const bytes = Object.values(files).reduce((sum, f) => sum + f.bytes, 0);
    const save = (dir: string, name: string) => writeCheckpoint(dir, name, fields, params, source.optimizer);

    const times = { localSave: [] as number[], s3Save: [] as number[], localLoad: [] as number[], s3Load: [] as number[] };
    const writer = new S3Storage({ bucket: s3.bucket, prefix: 'bench', endpoint: s3.endpoint }, join(work, 'writer-cache'));
    const runs = new RunStorage(writer);
    for (let i = 0; i < repeats; i++) {
      const name = `ckpt-${String(i).padStart(7, '0')}`;
      let t = performance.now();
      const local = await save(join(work, 'local'), name);
      times.localSave.push(performance.now() - t);

      t = performance.now();
      const runDir = join(writer.root, 'runs', 'job_bench');
      await save(runDir, name);
      await writeFile(join(runDir, 'latest.json'), JSON.stringify({ checkpoint: name, iteration: i }));
      await runs.push('job_bench');
      times.s3Save.push(performance.now() - t);

      t = performance.now();
      await readCheckpoint(local);
      times.localLoad.push(performance.now() - t);

      const reader = new S3Storage({ bucket: s3.bucket, prefix: 'bench', endpoint: s3.endpoint }, join(work, `reader-cache-${i}`));
      t = performance.now();
      await readCheckpoint(await new RunStorage(reader).checkpoint(`runs/job_bench/${name}`));
      times.s3Load.push(performance.now() - t);
      reader.close();
    }
    writer.close();
    const stat = (xs: number[]) => ({ medianMs: round(median(xs)), p90Ms: round(percentile(xs, 90)) });
    return {
      backend: backend.name,
      params: manifest.params.length,
      bytes,
      localSave: stat(times.localSave),
      s3Save: stat(times.s3Save),
      localLoad: stat(times.localLoad),
      s3Load: stat(times.s3Load),
    };
  } finally {
    await s3.cleanup();
    await rm(work, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const machine = { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, loadavgAtStart: loadavg().map((x) => round(x)) };
  log(`bench:platform on ${machine.cpu}, ${machine.cores} cores, load average ${machine.loadavgAtStart.join(' ')}`);
  const report: Record<string, unknown> = { bench: 'platform', machine };
  if (!args.only || args.only === 'auth') {
    log(`auth + rate limiting: ${duration} s per route and mode, alternating blocks of ${BLOCK} sequential requests`);
    const auth = await authOverhead();
    report.auth = auth;
    console.log(`\nAuth + rate limiting vs FEWSHOT_AUTH=off, same model, sequential requests alternating in blocks of ${BLOCK} (ms)`);
    console.log('route                            auth on p50/p99/mean     auth off p50/p99/mean    added p50/p99/mean');
    for (const [route, m] of Object.entries(auth)) {
      const cell = (x: { p50: number; p99: number; mean: number }) => `${x.p50} / ${x.p99} / ${x.mean}`;
      const added = { p50: round(m.on.p50 - m.off.p50, 3), p99: round(m.on.p99 - m.off.p99, 3), mean: round(m.on.mean - m.off.mean, 3) };
      console.log(`${route.padEnd(32)} ${cell(m.on).padEnd(24)} ${cell(m.off).padEnd(24)} ${cell(added)}   (${m.on.requests} + ${m.off.requests} requests)`);
    }
  }
  if (!args.only || args.only === 'checkpoints') {
    log(`checkpoints: conv4 MAML, ${repeats} saves and loads each`);
    const c = await checkpointTimes();
    report.checkpoints = c;
    console.log(`\nconv4 checkpoint (${c.params} tensors, ${(c.bytes / 1024).toFixed(0)} KiB incl. Adam state, backend ${c.backend}), median / p90 of ${repeats} (ms)`);
    console.log(`  save: local ${c.localSave.medianMs} / ${c.localSave.p90Ms}   S3 (write + publish) ${c.s3Save.medianMs} / ${c.s3Save.p90Ms}`);
    console.log(`  load: local ${c.localLoad.medianMs} / ${c.localLoad.p90Ms}   S3 (fetch to an empty cache + verify + read) ${c.s3Load.medianMs} / ${c.s3Load.p90Ms}`);
  }
  report.loadavgAtEnd = loadavg().map((x) => round(x));
  console.log(`\nload average at the end: ${(report.loadavgAtEnd as number[]).join(' ')}`);
  if (args.json) console.log(JSON.stringify(report));
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    log(`bench:platform failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
