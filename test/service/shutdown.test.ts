// SIGTERM with requests in flight, on real `fewshot serve` processes: the predictions and uploads
// in flight complete, new requests get 503 `shutting_down` with Retry-After, open event streams
// end cleanly, a running job goes back to the queue, and the process exits 0, within the drain
// deadline even when a request never finishes. (`fewshot worker` on SIGTERM: resume.test.ts.)
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import { after, before, test } from 'node:test';
import { freePort } from '../../src/service/local-redis.js';
import { clusters, resumableJob, startApp, startAppWithWorker, testEnv, waitFor, type TestApp, type TestEnv } from './helpers.js';
import { BIN } from '../../scripts/lib/service.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let env: TestEnv;
/** In this process, without a worker: sets up, and reads what the served processes left behind. */
let app: TestApp;
let modelId: string;
let datasetId: string;
const support = clusters({ classes: 3, perClass: 2, dim: 8, noise: 0.3, seed: 7 });
const queries = clusters({ classes: 3, perClass: 2, dim: 8, noise: 0.3, seed: 7 }).map(({ vector }) => ({ vector }));
const children: ChildProcess[] = [];

interface Served {
  child: ChildProcess;
  url: string;
  exited: Promise<number | null>;
  /** What it wrote (its log, and anything on stderr). */
  output: () => string;
}

async function serve(args: string[], overrides: Record<string, string> = {}): Promise<Served> {
  const port = await freePort();
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, ...env.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...overrides },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  for (const stream of [child.stdout!, child.stderr!]) stream.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    () => fetch(`${url}/readyz`).then((r) => r.status, () => 0),
    (status) => status === 200 || child.exitCode !== null,
    90_000,
    `${args.join(' ')} to be ready`,
  );
  assert.equal(child.exitCode, null, output);
  return { child, url, exited, output: () => output };
}

interface Sent {
  status: number;
  headers: IncomingMessage['headers'];
  text: string;
  /** The body ended normally (not reset or cut short). */
  complete: boolean;
}

/** What `req` gets back: its answer read to the end, or the error. */
function settled(req: ClientRequest): Promise<Sent> {
  return new Promise((resolve) => {
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text, complete: res.complete }));
      res.on('aborted', () => resolve({ status: res.statusCode!, headers: res.headers, text, complete: false }));
    });
    req.on('error', (error) => resolve({ status: 0, headers: {}, text: error.message, complete: false }));
  });
}

/**
 * A request on a connection of its own whose body is sent in two halves: the first now, the
 * second when `finish` is called. Until then it is in flight in the server.
 */
function slowRequest(url: string, method: string, path: string, key: string, contentType: string, body: string) {
  const bytes = Buffer.from(body);
  const half = Math.floor(bytes.length / 2);
  const req = request(`${url}${path}`, {
    method,
    agent: false,
    headers: { authorization: `Bearer ${key}`, 'content-type': contentType, 'content-length': bytes.length },
  });
  const response = settled(req);
  req.write(bytes.subarray(0, half));
  return { response, finish: () => req.end(bytes.subarray(half)) };
}

/** GET on a connection of its own, read to its end (an event stream: until the server ends it). */
function get(url: string, path: string, key?: string): Promise<Sent> {
  const req = request(`${url}${path}`, { agent: false, headers: key ? { authorization: `Bearer ${key}` } : {} });
  const response = settled(req);
  req.end();
  return response;
}

const ndjson = (name: string) =>
  clusters({ classes: 3, perClass: 4, dim: 8, noise: 0.3, seed: 3 })
    .map((e) => JSON.stringify({ ...e, label: `${name}-${e.label}` }))
    .join('\n');

/** What every request that arrives while the server drains must get. */
async function assertRefused(url: string, key: string) {
  const refused = await get(url, '/v1/jobs', key);
  assert.equal(refused.status, 503, refused.text);
  assert.equal(refused.headers['retry-after'], '2');
  assert.equal(refused.headers.connection, 'close');
  const { error } = JSON.parse(refused.text);
  assert.equal(error.code, 'shutting_down');
  assert.equal(error.details.retryAfterSeconds, 2);
  // Health checks still answer: alive, and not ready.
  assert.equal((await get(url, '/healthz')).status, 200);
  const ready = await get(url, '/readyz');
  assert.equal(ready.status, 503);
  assert.equal(JSON.parse(ready.text).draining, true);
}

before(async () => {
  env = await testEnv({ FEWSHOT_SHED_RETRY_AFTER_SECONDS: '2' });
  // A small model to predict with, trained here.
  const trainer = await startAppWithWorker(env.config);
  try {
    const dataset = await trainer.api.post('/v1/datasets').send({ name: 'clusters', examples: clusters({ classes: 6, perClass: 6, dim: 8, noise: 0.3, seed: 1 }) }).expect(201);
    datasetId = dataset.body.id;
    const { body } = await trainer.api
      .post('/v1/jobs')
      .send({ datasetId, algorithm: 'protonet', episode: { ways: 3, shots: 2, queries: 2 }, outer: { iterations: 4, metaBatchSize: 2 }, validation: { every: 0 }, evaluation: { episodes: 0 } })
      .expect(202);
    const job = await waitFor(() => trainer.api.get(`/v1/jobs/${body.id}`).then((r) => r.body), (j) => ['completed', 'failed'].includes(j.status), 120_000, 'the model');
    assert.equal(job.status, 'completed', JSON.stringify(job));
    modelId = job.modelId;
  } finally {
    await trainer.close();
  }
  app = await startApp(env.config);
});

after(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await app?.close();
  await env.cleanup();
});

test('serve --with-worker: SIGTERM lets a prediction and an upload in flight finish, refuses new requests, ends event streams, hands the job back, exits 0', { timeout: 180_000 }, async () => {
  const served = await serve(['serve', '--with-worker'], { FEWSHOT_DRAIN_TIMEOUT_MS: '20000' });
  const key = app.adminKey;
  const { body: job } = await app.api.post('/v1/jobs').send(resumableJob(datasetId, 100_000)).expect(202);
  await waitFor(() => app.api.get(`/v1/jobs/${job.id}`).then((r) => r.body), (j) => j.status === 'running' && j.progress?.iteration > 0, 90_000, 'the job to run');

  const events = get(served.url, `/v1/jobs/${job.id}/events`, key);
  const predict = slowRequest(served.url, 'POST', `/v1/models/${modelId}/predict`, key, 'application/json', JSON.stringify({ support, queries }));
  const upload = slowRequest(served.url, 'POST', '/v1/datasets?name=in-flight', key, 'application/x-ndjson', ndjson('u'));
  await sleep(500); // both bodies half read by the server

  served.child.kill('SIGTERM');
  const stream = await events;
  assert.ok(stream.complete, 'the event stream ended cleanly');
  assert.equal(stream.status, 200);
  assert.match(stream.text, /event: progress\ndata: \{.*"status":"running"/);
  await assertRefused(served.url, key);

  predict.finish();
  upload.finish();
  const predicted = await predict.response;
  assert.equal(predicted.status, 200, predicted.text);
  assert.equal(JSON.parse(predicted.text).predictions.length, queries.length);
  assert.equal(predicted.headers.connection, 'close');
  const uploaded = await upload.response;
  assert.equal(uploaded.status, 201, uploaded.text);

  assert.equal(await served.exited, 0, served.output());
  const stored = (await app.api.get(`/v1/datasets/${JSON.parse(uploaded.text).id}`).expect(200)).body;
  assert.equal(stored.numExamples, 12);
  const handedBack = await waitFor(() => app.api.get(`/v1/jobs/${job.id}`).then((r) => r.body), (j) => j.status === 'queued', 10_000, 'the job back in the queue');
  assert.equal(handedBack.modelId, undefined);
  await app.api.post(`/v1/jobs/${job.id}/cancel`).expect(202);
});

test('serve: twenty predictions in flight at SIGTERM are all answered; the process exits 0', { timeout: 120_000 }, async () => {
  const served = await serve(['serve'], { FEWSHOT_DRAIN_TIMEOUT_MS: '20000' });
  const key = app.adminKey;
  const body = JSON.stringify({ support, queries });
  const burst = Array.from({ length: 20 }, () => slowRequest(served.url, 'POST', `/v1/models/${modelId}/predict`, key, 'application/json', body));
  await sleep(500);
  served.child.kill('SIGTERM');
  await sleep(300);
  await assertRefused(served.url, key);
  // All at once: they queue for the prediction process while the server drains.
  for (const request of burst) request.finish();
  const answers = await Promise.all(burst.map((request) => request.response));
  assert.deepEqual(
    answers.map((a) => a.status),
    answers.map(() => 200),
    answers.find((a) => a.status !== 200)?.text,
  );
  assert.equal(await served.exited, 0, served.output());
});

test('serve: a request that never finishes is cut at the drain deadline, and the process still exits 0', { timeout: 120_000 }, async () => {
  const served = await serve(['serve'], { FEWSHOT_DRAIN_TIMEOUT_MS: '1500', LOG_LEVEL: 'info' });
  const stuck = slowRequest(served.url, 'POST', '/v1/datasets?name=stuck', app.adminKey, 'application/x-ndjson', ndjson('s'));
  await sleep(300);
  const signalled = Date.now();
  served.child.kill('SIGTERM');
  assert.equal(await served.exited, 0, served.output());
  const took = Date.now() - signalled;
  assert.ok(took >= 1500 && took < 15_000, `exited ${took} ms after SIGTERM`);
  const cut = await stuck.response;
  assert.equal(cut.complete, false);
  assert.match(served.output(), /"abandoned":1,.*requests still in flight at the drain deadline/);
});
