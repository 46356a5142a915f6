// npm run bench:load [-- --json] [-- --clients 200] [-- --duration 60] [-- --runs 2]
//                    [-- --train-window 15] [-- --health-rate 20]
//
// Mixed traffic from `--clients` concurrent clients against `fewshot serve --with-worker` (a
// child process, node bin/fewshot.js, with its own data directory and Redis prefix) while a
// training job runs in its worker. Auth is on: the clients use a `train` key created over the
// API (the seeded admin key only reads /metrics); rate limits are off (0) so that every refusal
// counted is the service's load shedding. The clients are closed loop (each sends its next request
// when the last is answered, on a keep-alive connection) and well behaved (a 429/503 makes them
// wait its Retry-After), split:
//   - 30 % one-call predicts, POST /v1/models/:id/predict (ProtoNets MLP, 5-way 1-shot, 15 queries);
//   - 30 % predicts through an adaptation, POST /v1/adaptations/:id/predict (15 queries);
//   - 30 % job status polling, GET /v1/jobs/:id (the running job);
//   - 10 % SSE subscribers, GET /v1/jobs/:id/events, each holding a stream 5-15 s, then reconnecting;
// and GET /healthz is probed at `--health-rate` per second on a connection of its own, from a
// process of its own (bench/load-probe.ts).
// The load runs `--runs` times (default 2), `--duration` seconds each. Reported per route:
// answered/s, p50/p99 of the 2xx answers, errors (anything but 2xx other than the deliberate 429/503 sheds, which
// are counted apart); /healthz p99; the API process's event-loop delay p99 (GET /metrics);
// RSS of the API and prediction processes before, after each run; the training job's tasks/s
// alone (over `--train-window` s before the load) and under each run.
// Progress goes to stderr; stdout gets the table and, with --json, ends with one JSON line
// holding every figure. The load generator shares the machine with the service.
import { readFile, readdir } from 'node:fs/promises';
import { Agent, request as httpRequest, type IncomingMessage } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { FewshotClient } from 'fewshot/client';
import { startService, type RunningService } from '../scripts/lib/service.js';
import { asQuery, clusterVectors, fewShotTask } from '../scripts/lib/synthetic.js';
import { runTsCell } from './child.js';
import { exitWith, finish } from './service-bench.js';
import { formatTable } from './table.js';

const { values: args } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    clients: { type: 'string', default: '200' },
    duration: { type: 'string', default: '60' },
    runs: { type: 'string', default: '2' },
    'train-window': { type: 'string', default: '15' },
    'health-rate': { type: 'string', default: '20' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log('npm run bench:load [-- --json] [-- --clients 200] [-- --duration 60] [-- --runs 2] [-- --train-window 15] [-- --health-rate 20]');
  process.exit(0);
}
const positive = (value: string, flag: string, max: number) => {
  const n = Number(value);
  if (!(Number.isInteger(n) && n >= 1 && n <= max)) throw new Error(`${flag} is an integer 1..${max}`);
  return n;
};
const clients = positive(args.clients, '--clients', 2000);
if (clients < 10) throw new Error('--clients is at least 10 (one SSE subscriber per ten clients)');
const duration = positive(args.duration, '--duration', 600);
const runs = positive(args.runs, '--runs', 10);
const trainWindow = positive(args['train-window'], '--train-window', 300);
const healthRate = positive(args['health-rate'], '--health-rate', 1000);

const WAYS = 5;
const QUERIES_PER_CLASS = 3;
/** Far above any latency expected here: a slow path shows as latency, not as an error. */
const REQUEST_TIMEOUT_S = 60;
const TRAIN_META_BATCH = 4;

const log = (text: string) => process.stderr.write(`${text}\n`);
const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// One route's figures

interface RouteResult {
  route: string;
  clients: number;
  /** Every answer (2xx, sheds and errors); for SSE, every subscription. */
  responses: number;
  ok: number;
  okPerSecond: number;
  /** Of the 2xx answers (SSE: to the first event). */
  latencyMs: { p50: number; p99: number; max: number };
  /** Deliberate refusals. */
  shed429: number;
  shed503: number;
  /** Anything else that was not 2xx: other statuses, connection errors, timeouts, streams cut short. */
  errors: number;
  statuses: Record<string, number>;
}

const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] : NaN);

/** The figures of a route from its answers by status, failures without an answer, and the 2xx latency. */
function routeResult(route: string, clients: number, statuses: Record<string, number>, failures: number, latencyMs: RouteResult['latencyMs']): RouteResult {
  const count = (status: string) => statuses[status] ?? 0;
  const responses = Object.values(statuses).reduce((a, b) => a + b, 0);
  const ok = Object.entries(statuses).reduce((a, [status, n]) => (status.startsWith('2') ? a + n : a), 0);
  return {
    route,
    clients,
    responses,
    ok,
    okPerSecond: round(ok / duration, 1),
    latencyMs,
    shed429: count('429'),
    shed503: count('503'),
    errors: responses - ok - count('429') - count('503') + failures,
    statuses,
  };
}

/** What one route's clients saw over a run. */
class Tally {
  readonly statuses: Record<string, number> = {};
  private readonly okMs: number[] = [];
  failures = 0;

  answered(status: number, ms: number): void {
    this.statuses[status] = (this.statuses[status] ?? 0) + 1;
    if (status >= 200 && status < 300) this.okMs.push(ms);
  }

  result(route: string, clients: number): RouteResult {
    const sorted = this.okMs.sort((a, b) => a - b);
    const latencyMs = { p50: round(percentile(sorted, 0.5)), p99: round(percentile(sorted, 0.99)), max: round(sorted.at(-1) ?? NaN) };
    return routeResult(route, clients, this.statuses, this.failures, latencyMs);
  }
}

/** Waits as a refused client is asked to (Retry-After), but not past the run's end. */
async function backOff(retryAfter: string | string[] | null | undefined, deadline: number): Promise<void> {
  const seconds = Number(retryAfter ?? 1);
  await sleep(Math.max(0, Math.min((Number.isFinite(seconds) ? seconds : 1) * 1000, deadline - performance.now())));
}

const agent = new Agent({ keepAlive: true, maxSockets: Infinity });

function send(url: URL, method: string, headers: Record<string, string>, body: string | undefined): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers, agent, timeout: REQUEST_TIMEOUT_S * 1000 }, resolve);
    req.on('timeout', () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_S} s`)));
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * `count` clients, each sending its next request as soon as the last is answered, and waiting
 * as told (Retry-After) when refused, as a well-behaved client does.
 */
async function closedLoop(client: FewshotClient, path: string, count: number, body?: string): Promise<Tally> {
  const tally = new Tally();
  const url = new URL(client.url(path));
  const headers = { ...(body ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } : {}), ...client.authHeaders() };
  const deadline = performance.now() + duration * 1000;
  const one = async () => {
    while (performance.now() < deadline) {
      const started = performance.now();
      try {
        const res = await send(url, body ? 'POST' : 'GET', headers, body);
        for await (const _ of res); // the whole body
        tally.answered(res.statusCode!, performance.now() - started);
        if (res.statusCode === 429 || res.statusCode === 503) await backOff(res.headers['retry-after'], deadline);
      } catch (error) {
        tally.failures++;
        log(`  ${path}: ${(error as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: count }, one));
  return tally;
}

/** A steady probe of /healthz, `healthRate` requests per second, from a process of its own. */
function healthProbe(baseUrl: string): Promise<autocannon.Result> {
  return runTsCell<autocannon.Result>('load-probe.ts', [`${baseUrl}/healthz`, String(healthRate), String(duration)], { label: '  [probe] ' });
}

/** Autocannon's latency here is of every answer: all are 2xx unless the probe reports errors. */
function probeResult(result: autocannon.Result): RouteResult {
  const statuses = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, stat]) => [code, (stat as { count: number }).count]));
  const { p50, p99, max } = result.latency;
  return routeResult('GET /healthz (probe)', 1, statuses, result.errors + result.timeouts, { p50, p99, max });
}

/**
 * `count` clients each holding GET /v1/jobs/:id/events for 5-15 s, then reconnecting, until the
 * run ends. Latency: from the request to the first event. A stream the server ends, or one that
 * fails, before the client leaves is an error.
 */
async function sseSubscribers(client: FewshotClient, jobId: string, count: number): Promise<{ tally: Tally; events: number }> {
  const deadline = performance.now() + duration * 1000;
  const tally = new Tally();
  let events = 0;
  const subscriber = async (seed: number) => {
    let turn = 0;
    while (performance.now() < deadline) {
      const hold = Math.min(5000 + ((seed * 7919 + turn++ * 104729) % 10_000), deadline - performance.now());
      const leave = new AbortController();
      const timer = setTimeout(() => leave.abort(), hold);
      const started = performance.now();
      try {
        const res = await fetch(client.url(`/v1/jobs/${jobId}/events`), { headers: client.authHeaders(), signal: leave.signal });
        if (res.status !== 200 || !res.body) {
          await res.arrayBuffer();
          tally.answered(res.status, performance.now() - started);
          if (res.status === 429 || res.status === 503) await backOff(res.headers.get('retry-after'), deadline);
          continue;
        }
        const decoder = new TextDecoder();
        let first = true;
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          const seen = (decoder.decode(chunk, { stream: true }).match(/^event: /gm) ?? []).length;
          if (seen && first) {
            tally.answered(200, performance.now() - started);
            first = false;
          }
          events += seen;
        }
        tally.failures++; // the server ended the stream while the job runs
      } catch (error) {
        if (!leave.signal.aborted) {
          tally.failures++;
          log(`  SSE subscriber: ${(error as Error).message}`);
        }
      } finally {
        clearTimeout(timer);
      }
    }
  };
  await Promise.all(Array.from({ length: count }, (_, i) => subscriber(i)));
  return { tally, events };
}

// ---------------------------------------------------------------------------------------------
// The service's processes

/** Resident set sizes, MiB: the API process (which also runs the worker) and its prediction process. */
async function rss(pid: number): Promise<{ api: number; prediction: number | null }> {
  const of = async (p: number) => {
    const status = await readFile(`/proc/${p}/status`, 'utf8');
    return round(Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024, 1);
  };
  let prediction: number | null = null;
  for (const task of await readdir(`/proc/${pid}/task`)) {
    const children = (await readFile(`/proc/${pid}/task/${task}/children`, 'utf8').catch(() => '')).split(' ').filter(Boolean).map(Number);
    for (const child of children) {
      const cmdline = await readFile(`/proc/${child}/cmdline`, 'utf8').catch(() => '');
      if (cmdline.includes('prediction/child')) prediction = await of(child);
    }
  }
  return { api: await of(pid), prediction };
}

interface Training {
  iteration: number;
  at: number;
}

async function trainingAt(client: FewshotClient, jobId: string): Promise<Training> {
  const job = await client.getJob(jobId);
  if (job.status !== 'running' || !job.progress) throw new Error(`the training job is ${job.status}${job.error ? `: ${job.error}` : ''}`);
  return { iteration: job.progress.iteration, at: performance.now() };
}

const tasksPerSecond = (from: Training, to: Training) => round(((to.iteration - from.iteration) * TRAIN_META_BATCH) / ((to.at - from.at) / 1000), 2);

/** The API's event-loop delay since the last scrape (prom-client resets its monitor on each), ms. */
async function eventLoop(client: FewshotClient): Promise<{ p99: number; max: number }> {
  const metrics = await client.metrics();
  return {
    p99: round((metrics.get('fewshot_nodejs_eventloop_lag_p99_seconds') ?? NaN) * 1000, 1),
    max: round((metrics.get('fewshot_nodejs_eventloop_lag_max_seconds') ?? NaN) * 1000, 1),
  };
}

// ---------------------------------------------------------------------------------------------
// A run

interface Run {
  routes: RouteResult[];
  health: RouteResult;
  eventLoopMs: { p99: number; max: number };
  /** Every answer per second, and the 2xx ones. */
  responsesPerSecond: number;
  okPerSecond: number;
  errors: number;
  shed429: number;
  shed503: number;
  trainingTasksPerSecond: number;
  rssAfterMiB: { api: number; prediction: number | null };
  /** How long the requests abandoned at the deadline took to drain (one predict sent after them). */
  drainMs: number;
}

interface Targets {
  admin: FewshotClient;
  load: FewshotClient;
  pid: number;
  modelId: string;
  adaptationId: string;
  jobId: string;
  predictBody: string;
  adaptedBody: string;
}

async function run(t: Targets): Promise<Run> {
  const share = (fraction: number) => Math.max(1, Math.round(clients * fraction));
  const sse = share(0.1);
  const [predictN, adaptedN] = [share(0.3), share(0.3)];
  const pollN = clients - sse - predictN - adaptedN;
  await eventLoop(t.admin); // resets the monitor
  const trainBefore = await trainingAt(t.load, t.jobId);
  const [predict, adapted, poll, events, health] = await Promise.all([
    closedLoop(t.load, `/v1/models/${t.modelId}/predict`, predictN, t.predictBody),
    closedLoop(t.load, `/v1/adaptations/${t.adaptationId}/predict`, adaptedN, t.adaptedBody),
    closedLoop(t.load, `/v1/jobs/${t.jobId}`, pollN),
    sseSubscribers(t.load, t.jobId, sse),
    healthProbe(t.load.baseUrl),
  ]);
  const trainAfter = await trainingAt(t.load, t.jobId);
  const eventLoopMs = await eventLoop(t.admin);
  const drainStarted = performance.now();
  await t.load.request('POST', `/v1/models/${t.modelId}/predict`, { body: t.predictBody, contentType: 'application/json' });
  const drainMs = round(performance.now() - drainStarted, 0);
  await sleep(5000); // lets the service settle before its memory is read
  const routes = [
    predict.result('POST /v1/models/:id/predict', predictN),
    adapted.result('POST /v1/adaptations/:id/predict', adaptedN),
    poll.result('GET /v1/jobs/:id', pollN),
    { ...events.tally.result('GET /v1/jobs/:id/events (SSE)', sse), events: events.events },
  ];
  const sum = (f: (r: RouteResult) => number) => routes.reduce((a, r) => a + f(r), 0);
  return {
    routes,
    health: probeResult(health),
    eventLoopMs,
    responsesPerSecond: round(sum((r) => r.responses) / duration, 1),
    okPerSecond: round(sum((r) => r.ok) / duration, 1),
    errors: sum((r) => r.errors),
    shed429: sum((r) => r.shed429),
    shed503: sum((r) => r.shed503),
    trainingTasksPerSecond: tasksPerSecond(trainBefore, trainAfter),
    rssAfterMiB: await rss(t.pid),
    drainMs,
  };
}

// ---------------------------------------------------------------------------------------------
// Report

const ms = (x: number) => (Number.isNaN(x) ? '-' : x >= 100 ? x.toFixed(0) : x.toFixed(1));

function table(results: Run[]): string {
  const headers = ['run', 'route', 'clients', 'answers', '2xx/s', 'p50 ms', 'p99 ms', 'max ms', 'errors', '429', '503'];
  const rows = results.flatMap((r, i) =>
    [...r.routes, r.health].map((route) => [
      String(i + 1),
      route.route,
      String(route.clients),
      String(route.responses),
      route.okPerSecond.toFixed(1),
      ms(route.latencyMs.p50),
      ms(route.latencyMs.p99),
      ms(route.latencyMs.max),
      String(route.errors),
      String(route.shed429),
      String(route.shed503),
    ]),
  );
  return formatTable(headers, rows);
}

/** Growth under this between the runs is noise (allocator, JIT), not a leak. */
const RSS_TOLERANCE = 0.05;

async function main(): Promise<number> {
  const started = performance.now();
  const machine = { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version, loadavgAtStart: loadavg().map((x) => round(x, 2)) };
  log(`bench:load — ${clients} clients, ${runs} × ${duration} s, /healthz probe ${healthRate}/s; load average ${machine.loadavgAtStart.join(' ')}`);
  const service: RunningService = await startService({
    prefix: 'fewshot-load',
    logLevel: 'warn',
    env: { FEWSHOT_RATE_LIMIT_PREDICT: '0', FEWSHOT_RATE_LIMIT_READ: '0', FEWSHOT_RATE_LIMIT_TRAIN: '0' },
  });
  const { readiness } = service;
  log(`service (pid ${service.pid}) ready in ${(service.startMs / 1000).toFixed(1)} s: backend ${readiness.backend.name}; log ${service.logFile}`);
  const stopOnSignal = () => void service.stop({ keepLog: true }).then(() => process.exit(130));
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);

  let failure: unknown = null;
  let report: string | null = null;
  let json: Record<string, unknown> | null = null;
  try {
    const admin = service.client;
    const { key } = await admin.request<{ key: string }>('POST', '/v1/keys', { json: { name: 'bench-load', scope: 'train' } });
    const load = new FewshotClient(service.url, key);

    log('dataset, a model to predict with, the training job that runs throughout:');
    const vectors = await load.uploadNdjson('load-vectors', clusterVectors({ classes: 20, perClass: 10, dim: 64, noise: 0.5, seed: 2, prefix: 'cluster' }));
    const common = { datasetId: vectors.id, episode: { ways: WAYS, shots: 1, queries: 5 }, validation: { every: 0 }, evaluation: { episodes: 0 }, seed: 1 };
    const trained = await load.createJob({ ...common, algorithm: 'protonet', outer: { iterations: 10, metaBatchSize: 2 }, checkpointEvery: 10 });
    const model = await load.followJob(trained.id, () => {});
    if (model.status !== 'completed' || !model.modelId) throw new Error(`training the model ended ${model.status}: ${model.error ?? ''}`);
    const unseen = clusterVectors({ classes: WAYS, perClass: 1 + QUERIES_PER_CLASS, dim: 64, noise: 0.5, seed: 98, prefix: 'new-cluster' });
    const task = fewShotTask(unseen, WAYS, 1, QUERIES_PER_CLASS);
    const queries = task.queries.map(asQuery);
    const predictBody = JSON.stringify({ support: task.support, queries });
    await load.predict(model.modelId, { support: task.support, queries });
    const adaptation = await load.createAdaptation(model.modelId, { support: task.support });
    const background = await load.createJob({
      ...common,
      algorithm: 'maml',
      model: { hidden: [64] },
      outer: { iterations: 1_000_000, metaBatchSize: TRAIN_META_BATCH },
      checkpointEvery: 1_000_000,
    });
    for (let job = await load.getJob(background.id); !(job.status === 'running' && (job.progress?.iteration ?? 0) > 0); job = await load.getJob(background.id)) {
      if (['completed', 'failed', 'cancelled'].includes(job.status)) throw new Error(`the training job ended ${job.status}: ${job.error ?? ''}`);
      await sleep(250);
    }
    const targets: Targets = {
      admin,
      load,
      pid: service.pid,
      modelId: model.modelId,
      adaptationId: adaptation.id,
      jobId: background.id,
      predictBody,
      adaptedBody: JSON.stringify({ queries }),
    };

    log(`training alone for ${trainWindow} s…`);
    const aloneFrom = await trainingAt(load, background.id);
    await sleep(trainWindow * 1000);
    const trainingAlone = tasksPerSecond(aloneFrom, await trainingAt(load, background.id));
    const rssBefore = await rss(service.pid);
    log(`  ${trainingAlone} tasks/s; RSS API ${rssBefore.api} MiB, prediction ${rssBefore.prediction} MiB`);

    const results: Run[] = [];
    for (let i = 0; i < runs; i++) {
      log(`run ${i + 1}/${runs}: ${clients} clients for ${duration} s…`);
      const result = await run(targets);
      results.push(result);
      log(
        `  ${result.okPerSecond} 2xx/s, errors ${result.errors}, shed 429 ${result.shed429} / 503 ${result.shed503}, /healthz p99 ${result.health.latencyMs.p99} ms, ` +
          `loop p99 ${result.eventLoopMs.p99} ms, training ${result.trainingTasksPerSecond} tasks/s, RSS API ${result.rssAfterMiB.api} MiB, prediction ${result.rssAfterMiB.prediction} MiB`,
      );
    }
    await load.cancelJob(background.id);

    const finishedLoad = loadavg().map((x) => round(x, 2));
    const [first, last] = [results[0], results.at(-1)!];
    const growth = (a: number | null, b: number | null) => (a && b ? round((b - a) / a, 3) : null);
    const rssGrowth = { api: growth(first.rssAfterMiB.api, last.rssAfterMiB.api), prediction: growth(first.rssAfterMiB.prediction, last.rssAfterMiB.prediction) };
    const errors = results.reduce((a, r) => a + r.errors + r.health.errors + r.health.shed503, 0);
    const healthP99 = Math.max(...results.map((r) => r.health.latencyMs.p99));
    const verdicts = [
      `errors other than deliberate 429/503 sheds: ${errors} (target 0) — ${errors === 0 ? 'met' : 'missed'}`,
      `/healthz p99: ${ms(healthP99)} ms, worst run (target < 50 ms) — ${healthP99 < 50 ? 'met' : 'missed'}`,
      runs > 1
        ? `RSS growth from run 1 to run ${runs}: API ${rssGrowth.api === null ? '-' : `${round(rssGrowth.api * 100)} %`}, prediction ${rssGrowth.prediction === null ? '-' : `${round(rssGrowth.prediction * 100)} %`} (target: none beyond ${RSS_TOLERANCE * 100} %) — ${[rssGrowth.api, rssGrowth.prediction].every((g) => g === null || g <= RSS_TOLERANCE) ? 'met' : 'missed'}`
        : 'RSS growth: one run only (--runs 2 compares)',
    ];
    report =
      `\nFewshot load benchmark — ${clients} clients (closed loop), ${duration} s per run, backend ${readiness.backend.name}, ` +
      `${machine.cores} cores (${machine.cpu}), load average ${machine.loadavgAtStart.join(' ')} → ${finishedLoad.join(' ')}\n` +
      `serve --with-worker, auth on (a created train key), rate limits off; a MAML job training throughout; load generator on the same machine\n\n` +
      table(results) +
      `\n` +
      results
        .map(
          (r, i) =>
            `run ${i + 1}: ${r.responsesPerSecond} answers/s (${r.okPerSecond} 2xx/s), API event-loop delay p99 ${ms(r.eventLoopMs.p99)} / max ${ms(r.eventLoopMs.max)} ms, ` +
            `training ${r.trainingTasksPerSecond} tasks/s (alone ${trainingAlone}), RSS after: API ${r.rssAfterMiB.api} MiB, prediction ${r.rssAfterMiB.prediction} MiB, backlog drained in ${r.drainMs} ms`,
        )
        .join('\n') +
      `\nRSS before the first run: API ${rssBefore.api} MiB, prediction ${rssBefore.prediction} MiB\n` +
      `\nTargets:\n${verdicts.map((v) => `  ${v}`).join('\n')}\n` +
      `\nSSE latency is the time to the first event of a subscription; "answers" for SSE are subscriptions. Event-loop delay from ` +
      `GET /metrics (prom-client, 10 ms sampling included).\n`;
    json = {
      bench: 'load',
      clients,
      durationPerRunS: duration,
      runs,
      healthProbeRate: healthRate,
      rateLimits: 'off',
      auth: 'on (created train key)',
      machine: { ...machine, loadavgAtEnd: finishedLoad },
      service: { backend: readiness.backend, startMs: round(service.startMs, 0) },
      training: { algorithm: 'maml', metaBatchSize: TRAIN_META_BATCH, tasksPerSecondAlone: trainingAlone, tasksPerSecondUnderLoad: results.map((r) => r.trainingTasksPerSecond) },
      rssBeforeMiB: rssBefore,
      rssGrowth,
      results: results.map((r) => ({ ...r, errorsByRoute: Object.fromEntries([...r.routes, r.health].map((route) => [route.route, route.errors])) })),
      errors,
      healthP99Ms: healthP99,
      totalSeconds: round((performance.now() - started) / 1000, 1),
    };
    if (errors > 0) failure = new Error(`${errors} request(s) failed`);
  } catch (error) {
    failure = error;
  }
  return finish('bench:load', service, { failure, report, json }, args.json);
}

exitWith('bench:load', main);
