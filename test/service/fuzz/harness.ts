// The fuzzer's run: a real app (real keys, real Redis under a test prefix, a trained model in
// its prediction process), N generated requests, and every answer judged: no 5xx, the one
// error shape valid against openapi.yaml, no server paths in messages, no crashed process, and
// memory back to its starting level afterwards. Request i of seed S is the same request on
// every run, so each finding prints how to replay it.
import { tmpdir } from 'node:os';
import { Writable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { pino } from 'pino';
import sharp from 'sharp';
import { createLogger } from '../../../src/service/logger.js';
import { startTrainWorker } from '../../../src/service/queue/worker.js';
import { clusters, REDIS_URL, startApp, testEnv, waitFor, type TestApp, type TestEnv } from '../helpers.js';
import { requestArb, strayArb, type FuzzContext, type FuzzRequest } from './arbitraries.js';
import { loadSpec, type ApiSpec } from './spec.js';

export interface FuzzOptions {
  requests: number;
  seed: number;
  /** Replay only request `only` of the seed's sequence. */
  only?: number;
  /** Requests in flight at once. */
  concurrency?: number;
  log?: (line: string) => void;
}

export interface Finding {
  index: number;
  problem: string;
  request: string;
  status: number;
  body: string;
}

export interface FuzzReport {
  seed: number;
  requests: number;
  seconds: number;
  statuses: Record<number, number>;
  kinds: Record<string, number>;
  /** Seconds spent per operation (method and path), slowest first when printed. */
  secondsByOperation: Record<string, number>;
  findings: Finding[];
  /** Prediction process exits and error-level log lines while fuzzing. */
  crashes: number;
  errorLogs: string[];
  memory: { before: MemorySnapshot; after: MemorySnapshot };
}

/** The API process after GC; the prediction process's live tensors and RSS. */
export interface MemorySnapshot {
  heapMB: number;
  rssMB: number;
  childTensors: number;
  childRssMB: number;
}

/** Requests are generated in chunks of this many (seed + chunk), so memory stays flat however many are asked for. */
const CHUNK = 250;

const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

function collectGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** Log lines of level warn and above, for counting crashes and internal errors. */
function capturingLogger(lines: { level: number; msg: string }[]) {
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        const entry = JSON.parse(line) as { level: number; msg: string; err?: { message?: string } };
        lines.push({ level: entry.level, msg: `${entry.msg}${entry.err?.message ? `: ${entry.err.message}` : ''}` });
      }
      done();
    },
  });
  return pino({ level: 'warn', name: 'fuzz-api' }, stream);
}

async function media(): Promise<{ pngs: string[]; jpegs: string[] }> {
  const image = (seed: number, format: 'png' | 'jpeg') => {
    const pixels = Buffer.from(Array.from({ length: 16 * 16 }, (_, i) => (i * seed * 37 + seed * 11) % 256));
    return sharp(pixels, { raw: { width: 16, height: 16, channels: 1 } })[format]().toBuffer().then((b) => b.toString('base64'));
  };
  return { pngs: await Promise.all([1, 2, 3, 4].map((s) => image(s, 'png'))), jpegs: await Promise.all([5, 6].map((s) => image(s, 'jpeg'))) };
}

/** A multimodal dataset, a model trained on it, an adaptation and keys of every scope. */
async function setUp(t: TestApp, env: TestEnv): Promise<FuzzContext> {
  const { pngs, jpegs } = await media();
  const vectorDim = 4;
  const examples = clusters({ classes: 4, perClass: 6, dim: vectorDim, noise: 0.2, seed: 5 }).map((e, i) => ({
    ...e,
    image: pngs[(i + Number(e.label.slice(-1))) % pngs.length],
    text: `${e.label} example ${i}`,
    strokes: [[[0, 0], [i, Number(e.label.slice(-1)) + 1], [2 * i, 3]]],
  }));
  const dataset = (await t.api.post('/v1/datasets?imageSize=16').send({ name: 'fuzz', examples }).expect(201)).body.id as string;
  const worker = startTrainWorker(env.config, REDIS_URL, createLogger('silent', 'fuzz-worker'));
  let job: string;
  let model: string;
  try {
    job = (
      await t.api
        .post('/v1/jobs')
        .send({
          datasetId: dataset,
          algorithm: 'protonet',
          model: { filters: 4, hidden: [8], fusionDim: 8 },
          episode: { ways: 2, shots: 1, queries: 1 },
          outer: { iterations: 2, metaBatchSize: 1 },
          validation: { every: 0 },
          evaluation: { episodes: 0 },
          split: { train: 0.5, validation: 0, test: 0.5 },
        })
        .expect(202)
    ).body.id;
    const done = await waitFor(() => t.api.get(`/v1/jobs/${job}`).then((r) => r.body), (j) => ['completed', 'failed'].includes(j.status), 120_000, 'the fuzz model');
    if (!done.modelId) throw new Error(`the fuzz model's job ended ${done.status}: ${done.error}`);
    model = done.modelId;
  } finally {
    // Jobs the fuzzer creates stay queued: nothing trains while it runs.
    await worker.close();
  }
  const support = examples.slice(0, 8).map(({ label, vector, image, text, strokes }) => ({ label, vector, image, text, strokes }));
  const adaptation = (await t.api.post(`/v1/models/${model}/adaptations`).send({ support }).expect(201)).body.id as string;
  const train = await t.deps.keys.create({ name: 'fuzz-train', scope: 'train' });
  const predict = await t.deps.keys.create({ name: 'fuzz-predict', scope: 'predict' });
  return {
    ids: { dataset, job, model, adaptation, key: train.record.id },
    keys: { admin: t.adminKey, train: train.key, predict: predict.key },
    vectorDim,
    pngs,
    jpegs,
  };
}

function describeRequest(req: FuzzRequest): string {
  const payload = req.payload === undefined ? '' : typeof req.payload === 'string' ? req.payload : `<${req.payload.length} bytes: ${req.payload.subarray(0, 48).toString('base64')}...>`;
  const shown = payload.length > 600 ? `${payload.slice(0, 600)}... (${payload.length} chars)` : payload;
  return `${req.method} ${req.url.length > 300 ? `${req.url.slice(0, 300)}...` : req.url} [${req.kind}] headers=${JSON.stringify(req.headers).slice(0, 300)} body=${shown}`;
}

/** What is wrong with the answer to `req`, or null. */
function judge(spec: ApiSpec, req: FuzzRequest, status: number, contentType: string, text: string, forbidden: string[]): string | null {
  if (status >= 500) return `status ${status}`;
  if (req.method === 'HEAD') return text === '' ? null : 'a HEAD answer with a body';
  // Error messages name the field or class at fault, never a server path.
  const leaked = status >= 400 && forbidden.find((path) => text.includes(path));
  if (leaked) return `the error names a server path (${leaked})`;
  const json = contentType.startsWith('application/json');
  let body: unknown;
  if (json) {
    try {
      body = JSON.parse(text);
    } catch {
      return 'a JSON answer that does not parse';
    }
  }
  if (status >= 400) {
    if (!json) return `error ${status} is not JSON (${contentType})`;
    if (!spec.error(body)) return `error ${status} is not in the one error shape: ${JSON.stringify(spec.error.errors)}`;
  }
  const path = req.url.split('?')[0];
  const op = spec.operations.find((o) => o.method === req.method && new RegExp(`^${o.path.replace('{id}', '[^/]+')}$`).test(path));
  if (!op) return null; // a stray route: the error shape was checked above
  if (!op.responses.has(status)) {
    const unrouted = status === 404 && (body as { error?: { message?: string } }).error?.message?.startsWith('no route');
    return unrouted ? null : `status ${status} is not declared for ${op.method} ${op.path}`;
  }
  const validate = op.responses.get(status);
  if (validate && json && !validate(body)) return `the ${status} answer does not match openapi.yaml: ${JSON.stringify(validate.errors?.slice(0, 3))}`;
  return null;
}

export async function runFuzz(opts: FuzzOptions): Promise<FuzzReport> {
  const log = opts.log ?? (() => {});
  const gc = collectGc();
  const spec = loadSpec(new URL('../../../openapi.yaml', import.meta.url).pathname);
  const env = await testEnv();
  const logLines: { level: number; msg: string }[] = [];
  const t = await startApp(env.config, { log: capturingLogger(logLines) });
  const report: FuzzReport = {
    seed: opts.seed,
    requests: 0,
    seconds: 0,
    statuses: {},
    kinds: {},
    secondsByOperation: {},
    findings: [],
    crashes: 0,
    errorLogs: [],
    memory: { before: { heapMB: 0, rssMB: 0, childTensors: 0, childRssMB: 0 }, after: { heapMB: 0, rssMB: 0, childTensors: 0, childRssMB: 0 } },
  };
  try {
    const ctx = await setUp(t, env);
    // Operations that take a body have the most to get wrong: they get a larger share; the
    // prediction process serves one request at a time, so its routes get less than the rest.
    const weight = (op: (typeof spec.operations)[number]) => (Object.keys(op.bodies).length ? (op.path.includes('{id}') ? 2 : 3) : 1);
    const all = fc.oneof(
      ...spec.operations.map((op) => ({ weight: weight(op), arbitrary: requestArb(spec, ctx, op) })),
      { weight: 1, arbitrary: strayArb(ctx) },
    );
    const forbidden = [env.config.dataDir, tmpdir() + '/', process.cwd(), 'node_modules'];
    const snapshot = async (): Promise<MemorySnapshot> => {
      for (let i = 0; i < 3; i++) gc();
      await new Promise((resolve) => setTimeout(resolve, 100));
      gc();
      const { heapUsed, rss } = process.memoryUsage();
      const child = await t.deps.runner.request({ op: 'memory' });
      return { heapMB: mb(heapUsed), rssMB: mb(rss), childTensors: child.tensors, childRssMB: mb(child.rss) };
    };
    report.memory.before = await snapshot();
    const logsBefore = logLines.length;
    const started = performance.now();

    /** Adaptations the run made: released afterwards, so the prediction process must be back where it started. */
    const created: string[] = [];
    const send = async (index: number, req: FuzzRequest) => {
      const sent = performance.now();
      const res = await t.app.inject({ method: req.method as 'GET', url: req.url, headers: req.headers, ...(req.payload !== undefined ? { payload: req.payload } : {}) });
      report.requests++;
      report.statuses[res.statusCode] = (report.statuses[res.statusCode] ?? 0) + 1;
      report.kinds[req.kind] = (report.kinds[req.kind] ?? 0) + 1;
      const op = `${req.method} ${req.url.split('?')[0].replace(/^(\/v1\/\w+\/)[^/]+/, '$1{id}')} ${req.kind}`;
      report.secondsByOperation[op] = (report.secondsByOperation[op] ?? 0) + (performance.now() - sent) / 1000;
      if (res.statusCode === 201 && /\/adaptations$/.test(req.url.split('?')[0])) created.push(JSON.parse(res.body).id as string);
      const problem = judge(spec, req, res.statusCode, String(res.headers['content-type'] ?? ''), res.body, forbidden);
      if (problem) {
        const finding = { index, problem, request: describeRequest(req), status: res.statusCode, body: res.body.slice(0, 400) };
        report.findings.push(finding);
        log(`FINDING seed=${opts.seed} index=${index}: ${problem}\n  request: ${finding.request}\n  answer: ${res.statusCode} ${finding.body}\n  replay: npm run fuzz -- --seed ${opts.seed} --replay ${index}`);
      }
    };

    const first = opts.only ?? 0;
    const last = opts.only ?? opts.requests - 1;
    for (let chunk = Math.floor(first / CHUNK); chunk <= Math.floor(last / CHUNK); chunk++) {
      const batch = fc.sample(all, { seed: opts.seed + chunk, numRuns: CHUNK });
      const indices = batch.map((_, i) => chunk * CHUNK + i).filter((i) => i >= first && i <= last);
      let next = 0;
      const lane = async () => {
        while (next < indices.length) {
          const index = indices[next++];
          await send(index, batch[index - chunk * CHUNK]);
        }
      };
      await Promise.all(Array.from({ length: opts.concurrency ?? 4 }, lane));
      if (chunk % 8 === 7) log(`  ${report.requests} requests, ${report.findings.length} findings, ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }
    report.seconds = (performance.now() - started) / 1000;

    const fuzzLogs = logLines.slice(logsBefore);
    report.crashes = fuzzLogs.filter((l) => /prediction process exited|timed out/.test(l.msg)).length;
    report.errorLogs = [...new Set(fuzzLogs.filter((l) => l.level >= 50).map((l) => l.msg))];
    // The prediction process must still answer after everything it was sent.
    const ok = await t.app.inject({ method: 'POST', url: `/v1/adaptations/${ctx.ids.adaptation}/predict`, headers: { authorization: `Bearer ${ctx.keys.admin}` }, payload: { queries: [{ vector: [0, 0, 0, 0] }] } });
    if (ok.statusCode !== 200) report.findings.push({ index: -1, problem: `a plain prediction after the run answered ${ok.statusCode}`, request: 'POST /v1/adaptations/<id>/predict', status: ok.statusCode, body: ok.body.slice(0, 400) });
    for (const id of created) await t.app.inject({ method: 'DELETE', url: `/v1/adaptations/${id}`, headers: { authorization: `Bearer ${ctx.keys.admin}` } });
    report.memory.after = await snapshot();
    return report;
  } finally {
    await t.close();
    await env.cleanup();
  }
}
