// npm run bench:serve [-- --json] [-- --duration 10] [-- --algorithm protonet,maml] (any of the
//                     core's algorithms; default protonet, maml, anil, metasgd)
//                     [-- --concurrency 1,16] [-- --health-rate 20]
//                     [-- --samples 100] [-- --quick]
//
// Serving latency and throughput of a running Fewshot service, measured over HTTP with
// autocannon. Starts `fewshot serve --with-worker` (node bin/fewshot.js) with its own data
// directory and Redis prefix, creates two generated datasets and trains, for each algorithm, a
// small model on each over the API (a conv4 on 28×28 PNG images, an MLP on 64-d vectors), then
// measures:
//   - POST /v1/models/:id/predict with 5-way 1-shot and 5-way 5-shot support sets and 15
//     queries, at each concurrency (default 1 and 16), a fixed duration each;
//   - POST /v1/adaptations/:id/predict (an adaptation made once, then queries only), likewise;
//   - where the time of one request goes, from `--samples` requests sent one at a time: the
//     service's Server-Timing header (body parsing and validation, the queue and the hop to the
//     prediction process, image decoding, adaptation, the forward pass) and, as "HTTP", what
//     the client saw beyond the service's own total (connection, transfer, the load generator);
//   - GET /healthz, probed at a fixed rate by a second autocannon instance while each
//     highest-concurrency load runs, and once with no load as the reference.
// Progress goes to stderr; stdout gets the table and, with --json, ends with one JSON line
// holding every figure. The load generator shares the machine with the service.
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { ALGORITHMS } from '../src/core/config.js';
import type { Algorithm, Example, FewshotClient } from 'fewshot/client';
import { startService, type RunningService } from '../scripts/lib/service.js';
import { asQuery, blobImages, clusterVectors, fewShotTask, labelAccuracy } from '../scripts/lib/synthetic.js';
import { formatTable } from './table.js';
import { exitWith, finish } from './service-bench.js';

const { values: args } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    duration: { type: 'string', default: '10' },
    algorithm: { type: 'string', default: 'protonet,maml,anil,metasgd' },
    samples: { type: 'string', default: '100' },
    concurrency: { type: 'string', default: '1,16' },
    'health-rate': { type: 'string', default: '20' },
    quick: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log('npm run bench:serve [-- --json] [-- --duration 10] [-- --algorithm protonet,maml] [-- --concurrency 1,16] [-- --health-rate 20] [-- --samples 100] [-- --quick]');
  process.exit(0);
}
const algorithms = args.algorithm.split(',') as Algorithm[];
if (algorithms.some((a) => !(ALGORITHMS as readonly string[]).includes(a))) throw new Error(`--algorithm is a list of ${ALGORITHMS.join(', ')}`);
const samples = args.quick ? 20 : Number(args.samples);
if (!(Number.isInteger(samples) && samples >= 10)) throw new Error('--samples is an integer ≥ 10');
const duration = args.quick ? 3 : Number(args.duration);
if (!(duration > 0 && duration <= 120)) throw new Error('--duration is 1..120 seconds');
const concurrencies = args.concurrency.split(',').map(Number);
if (concurrencies.some((c) => !Number.isInteger(c) || c < 1 || c > 256)) throw new Error('--concurrency is a list of integers 1..256');
const highest = Math.max(...concurrencies);
const healthRate = Number(args['health-rate']);
if (!(healthRate > 0 && healthRate <= 1000)) throw new Error('--health-rate is 1..1000 requests/s');

const WAYS = 5;
const QUERIES_PER_CLASS = 3; // 15 queries
const SHOTS = [1, 5];
/** Autocannon's per-request timeout: far above any latency expected here, so a slow path shows as latency, not errors. */
const REQUEST_TIMEOUT_S = 60;

const log = (text: string) => process.stderr.write(`${text}\n`);
const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

// ---------------------------------------------------------------------------------------------
// Models

interface ModelUnderTest {
  algorithm: Algorithm;
  name: 'conv4' | 'mlp';
  input: string;
  modelId: string;
  trainSeconds: number;
  /** Examples of five classes the model never saw: enough for 5 shots + the queries. */
  unseen: Example[];
}

/** Aborted on failure or interrupt: ends event streams, which would hold up the service's graceful shutdown. */
const cancel = new AbortController();

async function trainModel(
  client: FewshotClient,
  algorithm: Algorithm,
  name: ModelUnderTest['name'],
  datasetId: string,
  input: string,
  unseen: Example[],
): Promise<ModelUnderTest> {
  const started = performance.now();
  const { id } = await client.createJob({
    datasetId,
    algorithm,
    episode: { ways: WAYS, shots: 1, queries: 5 },
    outer: { iterations: 10, metaBatchSize: 2 },
    validation: { every: 0 },
    checkpointEvery: 10,
    seed: 1,
    evaluation: { episodes: 0 },
  });
  const timeout = setTimeout(() => cancel.abort(new Error(`training ${name} took over 10 minutes`)), 600_000);
  const job = await client.followJob(id, () => {}, cancel.signal).finally(() => clearTimeout(timeout));
  if (job.status !== 'completed' || !job.modelId) throw new Error(`training ${name} ended ${job.status}: ${job.error ?? ''}`);
  const trainSeconds = (performance.now() - started) / 1000;
  log(`  ${algorithm} ${name}: ${job.modelId} trained in ${trainSeconds.toFixed(1)} s (10 iterations × 2 tasks)`);
  return { algorithm, name, input, modelId: job.modelId, trainSeconds, unseen };
}

// ---------------------------------------------------------------------------------------------
// Measuring

interface Latency {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

interface LoadResult {
  requests: number;
  rps: number;
  latencyMs: Latency;
  non2xx: number;
  errors: number;
  timeouts: number;
  seconds: number;
}

/** One phase of a request over the `--samples` requests sent one at a time: median and p99, ms. */
interface Phase {
  p50: number;
  p99: number;
}

/** Where the time of one request went (timing.ts names the service's phases). */
interface Breakdown {
  samples: number;
  client: Phase;
  http: Phase;
  parse: Phase;
  queue: Phase;
  hop: Phase;
  decode: Phase;
  adapt: Phase;
  forward: Phase;
  /** Within the service, outside the phases above (routing, the registry lookups, serialising the answer). */
  other: Phase;
}

interface Cell {
  algorithm: Algorithm;
  model: string;
  input: string;
  path: 'predict' | 'adaptation';
  route: string;
  shots: number;
  supportExamples: number;
  queries: number;
  bodyBytes: number;
  connections: number;
  load: LoadResult;
  /** /healthz probed while this load ran (highest concurrency only). */
  health: LoadResult | null;
  api: ApiProcess;
  /** How long the one request sent after the row took: the backlog of abandoned requests it waited behind. */
  drainMs: number;
  /** Server-side adaptation time of the warm-up predicts (the `adaptation.ms` they report), median. */
  serverAdaptMs: number | null;
  /** Accuracy of the warm-up answer on the 15 queries: a check the model was served, not a measurement. */
  warmupAccuracy: number;
  /** Requests one at a time (first row of each route only). */
  breakdown: Breakdown | null;
}

function summarise(result: autocannon.Result): LoadResult {
  const ok = result['2xx'];
  return {
    requests: ok,
    rps: round(ok / result.duration, 2),
    latencyMs: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
      mean: round(result.latency.mean, 2),
    },
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    seconds: round(result.duration, 2),
  };
}

function load(client: FewshotClient, url: string, body: string, connections: number): Promise<autocannon.Result> {
  return autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...client.authHeaders() },
    body,
    connections,
    pipelining: 1,
    duration,
    timeout: REQUEST_TIMEOUT_S,
  });
}

/** A steady probe: one connection, `healthRate` requests per second (latencies corrected for coordinated omission). */
function healthProbe(baseUrl: string): Promise<autocannon.Result> {
  return autocannon({ url: `${baseUrl}/healthz`, connections: 1, connectionRate: healthRate, duration, timeout: REQUEST_TIMEOUT_S });
}

interface ApiProcess {
  /** The API process's event-loop delay over the row (prom-client's monitor, reset by each scrape of /metrics). */
  eventLoopP99Ms: number | null;
  eventLoopMaxMs: number | null;
  /** CPU time of the API process (not the prediction process) per answered request of the load (the probe's share included). */
  cpuMsPerRequest: number | null;
}

/**
 * Runs the load, with the /healthz probe beside it when asked, between two scrapes of /metrics;
 * then waits for the requests autocannon abandoned at the deadline, which the service still
 * computes, so they do not spill into the next row.
 */
async function measure(service: RunningService, route: string, body: string, connections: number, withHealth: boolean) {
  const { client } = service;
  const before = await client.metrics();
  const [loadResult, healthResult] = await Promise.all([
    load(client, client.url(route), body, connections),
    withHealth ? healthProbe(service.url) : Promise.resolve(null),
  ]);
  const after = await client.metrics();
  const drainStarted = performance.now();
  const drain = await fetch(client.url(route), { method: 'POST', headers: { 'content-type': 'application/json', ...client.authHeaders() }, body });
  await drain.arrayBuffer();
  const drainMs = round(performance.now() - drainStarted, 0);
  const seconds = (name: string) => after.get(`fewshot_${name}`);
  const cpu = (after.get('fewshot_process_cpu_seconds_total') ?? NaN) - (before.get('fewshot_process_cpu_seconds_total') ?? NaN);
  const requests = Math.max(1, loadResult['2xx']);
  const api: ApiProcess = {
    eventLoopP99Ms: seconds('nodejs_eventloop_lag_p99_seconds') === undefined ? null : round(seconds('nodejs_eventloop_lag_p99_seconds')! * 1000, 1),
    eventLoopMaxMs: seconds('nodejs_eventloop_lag_max_seconds') === undefined ? null : round(seconds('nodejs_eventloop_lag_max_seconds')! * 1000, 1),
    cpuMsPerRequest: Number.isFinite(cpu) ? round((cpu * 1000) / requests, 2) : null,
  };
  return { load: summarise(loadResult), health: healthResult ? summarise(healthResult) : null, api, drainMs };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const phase = (xs: number[]): Phase => {
  const sorted = [...xs].sort((a, b) => a - b);
  return { p50: round(sorted[Math.floor(sorted.length / 2)], 2), p99: round(sorted[Math.min(sorted.length - 1, Math.ceil(0.99 * sorted.length) - 1)], 2) };
};

/** `samples` requests one after the other, each timed here and by the service (Server-Timing). */
async function breakdown(client: FewshotClient, route: string, body: string): Promise<Breakdown> {
  const rows: Record<string, number>[] = [];
  for (let i = 0; i < samples; i++) {
    const { status, ms, serverTiming: t } = await client.timedPost(route, body);
    if (status !== 200 || t.total === undefined) throw new Error(`${route} answered ${status} without Server-Timing`);
    const inside = t.parse + t.queue + t.hop + t.decode + t.adapt + t.forward;
    rows.push({ ...t, client: ms, http: Math.max(0, ms - t.total), other: Math.max(0, t.total - inside) });
  }
  const of = (key: string) => phase(rows.map((r) => r[key]));
  return {
    samples,
    client: of('client'),
    http: of('http'),
    parse: of('parse'),
    queue: of('queue'),
    hop: of('hop'),
    decode: of('decode'),
    adapt: of('adapt'),
    forward: of('forward'),
    other: of('other'),
  };
}

async function benchModel(service: RunningService, model: ModelUnderTest, cells: Cell[]): Promise<void> {
  const { client } = service;
  for (const shots of SHOTS) {
    const task = fewShotTask(model.unseen, WAYS, shots, QUERIES_PER_CLASS);
    const queries = task.queries.map(asQuery);
    const route = `/v1/models/${model.modelId}/predict`;
    const body = JSON.stringify({ support: task.support, queries });
    // Warm-up: the first request loads the checkpoint into the prediction process.
    const adaptMs: number[] = [];
    let accuracy = 0;
    for (let i = 0; i < 3; i++) {
      const answer = await client.predict(model.modelId, { support: task.support, queries });
      adaptMs.push(answer.adaptation.ms);
      accuracy = labelAccuracy(answer.predictions, task.queries);
    }
    const common = {
      algorithm: model.algorithm,
      model: model.name,
      input: model.input,
      shots,
      supportExamples: task.support.length,
      queries: queries.length,
      serverAdaptMs: round(median(adaptMs), 2),
      warmupAccuracy: round(accuracy, 3),
    };
    log(`  ${model.algorithm} ${model.name} predict ${WAYS}-way ${shots}-shot: ${samples} requests one at a time…`);
    const predictBreakdown = await breakdown(client, route, body);
    for (const connections of concurrencies) {
      log(`  ${model.algorithm} ${model.name} predict ${WAYS}-way ${shots}-shot, ${connections} connection${connections > 1 ? 's' : ''}…`);
      const measured = await measure(service, route, body, connections, connections === highest);
      const first = connections === concurrencies[0];
      cells.push({ ...common, path: 'predict', route: '/v1/models/:id/predict', bodyBytes: body.length, connections, ...measured, breakdown: first ? predictBreakdown : null });
    }

    const adaptation = await client.createAdaptation(model.modelId, { support: task.support });
    const adaptedRoute = `/v1/adaptations/${adaptation.id}/predict`;
    const adaptedBody = JSON.stringify({ queries });
    const check = await client.predictAdapted(adaptation.id, queries);
    const adaptedAccuracy = labelAccuracy(check.predictions, task.queries);
    log(`  ${model.algorithm} ${model.name} adaptation ${WAYS}-way ${shots}-shot: ${samples} requests one at a time…`);
    const adaptedBreakdown = await breakdown(client, adaptedRoute, adaptedBody);
    for (const connections of concurrencies) {
      log(`  ${model.algorithm} ${model.name} adaptation ${WAYS}-way ${shots}-shot, ${connections} connection${connections > 1 ? 's' : ''}…`);
      const measured = await measure(service, adaptedRoute, adaptedBody, connections, connections === highest);
      cells.push({
        ...common,
        serverAdaptMs: null,
        warmupAccuracy: round(adaptedAccuracy, 3),
        path: 'adaptation',
        route: '/v1/adaptations/:id/predict',
        bodyBytes: adaptedBody.length,
        connections,
        ...measured,
        breakdown: connections === concurrencies[0] ? adaptedBreakdown : null,
      });
    }
    await client.deleteAdaptation(adaptation.id);
  }
}

// ---------------------------------------------------------------------------------------------
// Report

const ms = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));

function table(cells: Cell[]): string {
  const headers = ['algorithm', 'model', 'route', 'support', 'conc', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'ok', 'failed', 'adapt ms¹', 'API ms/req²', 'API loop p99/max ms³', '/healthz p50/p99/max ms⁴'];
  const rows = cells.map((c) => [
    c.algorithm,
    c.model,
    c.path === 'predict' ? 'predict' : 'adaptation predict',
    `${WAYS}w${c.shots}s+${c.queries}q`,
    String(c.connections),
    c.load.rps.toFixed(1),
    ms(c.load.latencyMs.p50),
    ms(c.load.latencyMs.p99),
    ms(c.load.latencyMs.max),
    String(c.load.requests),
    String(c.load.non2xx + c.load.errors),
    c.serverAdaptMs === null ? '-' : ms(c.serverAdaptMs),
    c.api.cpuMsPerRequest === null ? '-' : c.api.cpuMsPerRequest.toFixed(2),
    c.api.eventLoopP99Ms === null ? '-' : `${ms(c.api.eventLoopP99Ms)} / ${ms(c.api.eventLoopMaxMs ?? NaN)}`,
    c.health ? `${ms(c.health.latencyMs.p50)} / ${ms(c.health.latencyMs.p99)} / ${ms(c.health.latencyMs.max)}` : '-',
  ]);
  return formatTable(headers, rows, { rightFrom: 5 });
}

// The latency targets of issue #11, for conv4 at concurrency 1 (p99, ms).
const TARGETS: { label: string; p99: number; matches: (c: Cell) => boolean }[] = [
  { label: 'ProtoNets predict', p99: 25, matches: (c) => c.algorithm === 'protonet' && c.path === 'predict' },
  { label: 'MAML predict', p99: 250, matches: (c) => c.algorithm === 'maml' && c.path === 'predict' },
  // Issue #12: ANIL adapts its head on embeddings computed once, so it should cost about what ProtoNets does.
  { label: 'ANIL predict', p99: 25, matches: (c) => c.algorithm === 'anil' && c.path === 'predict' },
  { label: 'cached adaptation predict', p99: 10, matches: (c) => c.path === 'adaptation' },
];

function breakdownTable(cells: Cell[]): string {
  const phases = ['client', 'http', 'parse', 'queue', 'hop', 'decode', 'adapt', 'forward', 'other'] as const;
  const rows = cells.flatMap((c) =>
    c.breakdown
      ? [[c.algorithm, c.model, c.path === 'predict' ? 'predict' : 'adaptation predict', `${WAYS}w${c.shots}s+${c.queries}q`, ...phases.map((p) => `${ms(c.breakdown![p].p50)} / ${ms(c.breakdown![p].p99)}`)]]
      : [],
  );
  return formatTable(['algorithm', 'model', 'route', 'support', 'client', 'HTTP', 'parse', 'queue', 'hop', 'decode', 'adapt', 'forward', 'other'], rows, { rightFrom: 5 });
}

function verdicts(cells: Cell[]): string {
  const lines = TARGETS.flatMap((target) =>
    cells
      .filter((c) => c.model === 'conv4' && c.connections === 1 && target.matches(c))
      .map((c) => {
        const p99 = c.load.latencyMs.p99;
        return `  ${target.label} (${c.algorithm}, ${WAYS}-way ${c.shots}-shot): p99 ${ms(p99)} ms, target ≤ ${target.p99} ms — ${p99 <= target.p99 ? 'met' : `missed by ${ms(p99 - target.p99)} ms`}`;
      }),
  );
  return lines.length ? `Targets (conv4, concurrency 1):\n${lines.join('\n')}\n` : '';
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const started = performance.now();
  const machine = { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version, loadavgAtStart: loadavg().map((x) => round(x, 2)) };
  log(`bench:serve — ${algorithms.join(', ')}, ${duration} s per cell, concurrency ${concurrencies.join(', ')}, /healthz probe ${healthRate}/s`);
  log(`machine: ${machine.cpu}, ${machine.cores} cores, load average ${machine.loadavgAtStart.join(' ')}`);

  // Auth and rate limiting on, as deployed, with budgets no load here reaches.
  const unlimited = String(1e9);
  const service = await startService({
    prefix: 'fewshot-bench',
    logLevel: 'warn',
    env: { FEWSHOT_RATE_LIMIT_PREDICT: unlimited, FEWSHOT_RATE_LIMIT_READ: unlimited, FEWSHOT_RATE_LIMIT_TRAIN: unlimited },
  });
  const { readiness } = service;
  log(`service (pid ${service.pid}) ready in ${(service.startMs / 1000).toFixed(1)} s at ${service.url}: backend ${readiness.backend.name} (${readiness.backend.device}); log ${service.logFile}`);

  let failure: unknown = null;
  let report: string | null = null;
  let json: Record<string, unknown> | null = null;
  const stopOnSignal = () => {
    failure ??= new Error('interrupted');
    cancel.abort();
    void service.stop({ keepLog: true }).then(() => process.exit(130));
  };
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);
  try {
    const { client } = service;
    log('datasets and training:');
    const images = await blobImages({ classes: 20, perClass: 10, seed: 1, prefix: 'pattern' });
    const vectors = clusterVectors({ classes: 20, perClass: 10, dim: 64, noise: 0.5, seed: 2, prefix: 'cluster' });
    const imageSet = await client.createDataset('bench-images', images);
    const vectorSet = await client.uploadNdjson('bench-vectors', vectors);
    log(`  ${imageSet.id}: ${imageSet.numExamples} 28×28 PNGs (JSON); ${vectorSet.id}: ${vectorSet.numExamples} 64-d vectors (NDJSON)`);
    const unseenImages = await blobImages({ classes: WAYS, perClass: 5 + QUERIES_PER_CLASS, seed: 99, prefix: 'new-pattern' });
    const unseenVectors = clusterVectors({ classes: WAYS, perClass: 5 + QUERIES_PER_CLASS, dim: 64, noise: 0.5, seed: 98, prefix: 'new-cluster' });
    const models: ModelUnderTest[] = [];
    for (const algorithm of algorithms) {
      models.push(await trainModel(client, algorithm, 'conv4', imageSet.id, '28×28×1 image', unseenImages));
      models.push(await trainModel(client, algorithm, 'mlp', vectorSet.id, '64-d vector', unseenVectors));
    }

    log('measuring:');
    await client.metrics(); // resets the event-loop monitor
    const idle = await healthProbe(service.url).then(summarise);
    const idleMetrics = await client.metrics();
    const idleLoop = {
      p99: round((idleMetrics.get('fewshot_nodejs_eventloop_lag_p99_seconds') ?? NaN) * 1000, 1),
      max: round((idleMetrics.get('fewshot_nodejs_eventloop_lag_max_seconds') ?? NaN) * 1000, 1),
    };
    log(`  /healthz with no load: p50 ${idle.latencyMs.p50} ms, p99 ${idle.latencyMs.p99} ms, max ${idle.latencyMs.max} ms; API loop p99 ${idleLoop.p99} ms`);
    const cells: Cell[] = [];
    for (const model of models) await benchModel(service, model, cells);

    const ready = await client.readyz();
    const finishedLoad = loadavg().map((x) => round(x, 2));
    report =
      `\nFewshot serving benchmark — ${algorithms.join(', ')} models, backend ${readiness.backend.name} (${readiness.backend.device}), ` +
      `${machine.cores} cores (${machine.cpu}), load average ${machine.loadavgAtStart.join(' ')} → ${finishedLoad.join(' ')}\n` +
      `${duration} s per row; 15 queries per request; load generator (autocannon) on the same machine\n\n` +
      table(cells) +
      `\n${verdicts(cells)}` +
      `\nWhere the time goes: p50 / p99 ms over ${samples} requests sent one at a time (service: Server-Timing; HTTP = client − service total)\n` +
      breakdownTable(cells) +
      `\n¹ the service's own adaptation time (response field adaptation.ms), median of 3 warm-up requests.\n` +
      `² CPU time of the API process (GET /metrics, process_cpu_seconds_total) per answered request; the prediction process is not in it.\n` +
      `³ event-loop delay of the API process over the row (prom-client's monitor; its 10 ms sampling interval is included, so ~10 ms = no blocking).\n` +
      `⁴ GET /healthz probed at ${healthRate} req/s on 1 connection during each ${highest}-connection row (latency corrected for ` +
      `coordinated omission). With no load: p50 ${ms(idle.latencyMs.p50)} / p99 ${ms(idle.latencyMs.p99)} / max ${ms(idle.latencyMs.max)} ms, ` +
      `API loop p99 ${ms(idleLoop.p99)} / max ${ms(idleLoop.max)} ms.\n` +
      `Latencies are autocannon's (1 ms resolution). Each row is followed by one request on the same route that waits out ` +
      `the requests autocannon abandoned at the deadline (JSON: drainMs).\n` +
      `Warm-up accuracy on the 15 queries (a check that real models answered; barely trained, not a measurement): ` +
      cells.filter((c) => c.path === 'predict' && c.connections === concurrencies[0]).map((c) => `${c.algorithm} ${c.model} ${c.shots}-shot ${Math.round(100 * c.warmupAccuracy)}%`).join(', ') +
      `.\n` +
      `Training (over HTTP, 10 iterations × 2 tasks, no evaluation): ` +
      models.map((m) => `${m.algorithm} ${m.name} ${m.trainSeconds.toFixed(1)} s`).join(', ') +
      `. Readiness after the run: ${ready.body.status}.\n`;
    json = {
      bench: 'serve',
      algorithms,
      samples,
      durationPerCellS: duration,
      concurrencies,
      healthProbeRate: healthRate,
      machine: { ...machine, loadavgAtEnd: finishedLoad },
      service: { backend: readiness.backend, startMs: round(service.startMs, 0), logLevel: 'warn' },
      training: models.map((m) => ({ algorithm: m.algorithm, model: m.name, input: m.input, modelId: m.modelId, seconds: round(m.trainSeconds, 2) })),
      healthIdle: { ...idle, apiEventLoopMs: idleLoop },
      cells,
      readyAfter: ready.body.status,
      totalSeconds: round((performance.now() - started) / 1000, 1),
    };
    const failed = cells.filter((c) => c.load.non2xx + c.load.errors > 0 || (c.health && c.health.non2xx + c.health.errors > 0));
    if (failed.length) failure = new Error(`${failed.length} row(s) had failed requests: ${failed.map((c) => `${c.algorithm} ${c.model} ${c.path} ${c.shots}-shot c${c.connections}`).join(', ')}`);
  } catch (error) {
    failure = error;
  }
  cancel.abort();

  return finish('bench:serve', service, { failure, report, json }, args.json);
}

exitWith('bench:serve', main);
