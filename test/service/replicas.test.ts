// Replicas, proven: two API processes and two worker processes (real `fewshot serve` and
// `fewshot worker`), each with its own empty local directory, on one Redis prefix and one S3
// bucket. A dataset uploaded through API 1 is trained by whichever worker takes the job; that
// worker is killed (SIGKILL) mid-job and the other resumes from the bucket's checkpoint; the
// one model predicts through API 2; an adaptation made on API 1 is used on API 2. The timeline
// is printed as test diagnostics.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import supertest from 'supertest';
import { freePort } from '../../src/service/local-redis.js';
import { generateKey } from '../../src/service/registry/keys.js';
import { startS3, type TestS3 } from './s3-server.js';
import { clusters, jobLogs as logsOf, resumableJob, testEnv, waitFor, type TestEnv } from './helpers.js';
import { BIN } from '../../scripts/lib/service.js';

let s3: TestS3;
let env: TestEnv;
const children: ChildProcess[] = [];
const dirs: string[] = [];
const key = generateKey();

function spawnFewshot(args: string[], extra: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env.env, ...extra }, stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(child);
  return child;
}

async function ownDir(name: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `fewshot-replica-${name}-`));
  dirs.push(dir);
  return dir;
}

async function startApi(name: string) {
  const port = await freePort();
  const child = spawnFewshot(['serve'], { PORT: String(port), HOST: '127.0.0.1', FEWSHOT_DATA_DIR: await ownDir(name) });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(() => fetch(`${url}/readyz`).then((r) => r.status, () => 0), (s) => s === 200, 60_000, `${name} ready`);
  const agent = supertest.agent(url).set('authorization', `Bearer ${key}`);
  return { child, url, api: agent };
}

/** The parent of a process: which worker forked a training child. */
async function parentOf(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

before(async () => {
  s3 = await startS3();
  env = await testEnv({ ...s3.env('replicas'), FEWSHOT_API_KEYS: `replica-admin:admin:${key}`, LOG_LEVEL: 'warn' });
});
after(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  await Promise.all(children.map((c) => (c.exitCode === null && c.signalCode === null ? once(c, 'exit') : null)));
  await env.cleanup();
  await s3.cleanup();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

test('two APIs and two workers share one Redis and one bucket; a killed worker’s job resumes on the other; one model', { timeout: 300_000 }, async (t) => {
  const started = Date.now();
  const mark = (what: string) => t.diagnostic(`${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s  ${what}`);

  const [api1, api2] = await Promise.all([startApi('api-1'), startApi('api-2')]);
  const workers = new Map<number, ChildProcess>();
  for (const name of ['worker-1', 'worker-2']) {
    const child = spawnFewshot(['worker'], { FEWSHOT_DATA_DIR: await ownDir(name) });
    workers.set(child.pid!, child);
  }
  await waitFor(() => api1.api.get('/readyz').then((r) => r.body.workers.count), (n) => n === 2, 60_000, 'both workers');
  mark('2 APIs ready, 2 workers connected (4 empty local dirs, 1 Redis prefix, 1 bucket)');

  const examples = clusters({ classes: 12, perClass: 8, dim: 8, noise: 0.3, seed: 4 });
  const dataset = (await api1.api.post('/v1/datasets').send({ name: 'replicas', examples }).expect(201)).body;
  mark(`dataset ${dataset.id} uploaded through API 1 (${dataset.bytes} bytes, stored in the bucket)`);
  const { body: accepted } = await api1.api
    .post('/v1/jobs')
    .send(resumableJob(dataset.id, 200))
    .expect(202);
  const getJob = () => api2.api.get(`/v1/jobs/${accepted.id}`).then((r) => r.body);

  const withCheckpoints = await waitFor(getJob, (j) => j.checkpoints.length >= 2, 120_000, 'two checkpoints');
  // Which worker trains it: the parent of the training child that logged its pid.
  const attempt1 = await jobLog(accepted.id, /^attempt 1 on .* \(pid (\d+)\)/);
  const trainer = Number(attempt1[1]);
  const victim = await parentOf(trainer);
  assert.ok(workers.has(victim), `the training child ${trainer} belongs to worker ${victim}`);
  const lastCheckpoint = Math.max(...withCheckpoints.checkpoints);
  mark(`job ${accepted.id} running on worker pid ${victim}: checkpoints at ${withCheckpoints.checkpoints.join(', ')} in the bucket`);
  workers.get(victim)!.kill('SIGKILL');
  await once(workers.get(victim)!, 'exit');
  const killedAt = await getJob();
  mark(`worker ${victim} killed (SIGKILL) at iteration ${killedAt.progress.iteration}`);

  const attempt2 = await waitForLog(accepted.id, /^attempt 2: first iteration (\d+)/, 60_000);
  const resumedAt = Number(attempt2[1]);
  const survivor = await parentOf(Number((await jobLog(accepted.id, /^attempt 2 on .* \(pid (\d+)\)/))[1])).catch(() => NaN);
  assert.ok(resumedAt > lastCheckpoint && resumedAt <= killedAt.progress.iteration + 1, `resumed at ${resumedAt}; last checkpoint before the kill ${lastCheckpoint}`);
  mark(`the other worker (pid ${survivor}) took the stalled job and resumed at iteration ${resumedAt}, from the bucket's checkpoint`);

  const done = await waitFor(getJob, (j) => ['completed', 'failed', 'cancelled'].includes(j.status), 180_000, 'completion');
  assert.equal(done.status, 'completed', JSON.stringify(done));
  assert.equal(done.attempts, 2);
  const models = (await api2.api.get('/v1/models').expect(200)).body.models.filter((m: { jobId: string }) => m.jobId === accepted.id);
  assert.equal(models.length, 1, 'exactly one model');
  assert.equal(models[0].id, done.modelId);
  mark(`job completed after ${done.attempts} attempts: one model ${done.modelId}`);

  const unseen = clusters({ classes: 3, perClass: 6, dim: 8, noise: 0.3, seed: 99 });
  const support = unseen.filter((_, i) => i % 6 < 3);
  const queries = unseen.filter((_, i) => i % 6 >= 3).map(({ vector }) => ({ vector }));
  const direct = await api2.api.post(`/v1/models/${done.modelId}/predict`).send({ support, queries }).expect(200);
  assert.equal(direct.body.predictions.length, queries.length);
  mark('API 2 (its own empty cache) fetched the checkpoint from the bucket and predicted');

  const adaptation = (await api1.api.post(`/v1/models/${done.modelId}/adaptations`).send({ support }).expect(201)).body;
  const onOne = await api1.api.post(`/v1/adaptations/${adaptation.id}/predict`).send({ queries }).expect(200);
  const onTwo = await api2.api.post(`/v1/adaptations/${adaptation.id}/predict`).send({ queries }).expect(200);
  assert.deepEqual(
    onTwo.body.predictions.map((p: { label: string }) => p.label),
    onOne.body.predictions.map((p: { label: string }) => p.label),
  );
  mark(`adaptation ${adaptation.id} made on API 1, used on API 2: same ${queries.length} labels`);

  async function jobLog(id: string, pattern: RegExp): Promise<RegExpExecArray> {
    const lines = await jobLogs(id);
    for (const line of lines) {
      const match = pattern.exec(line);
      if (match) return match;
    }
    throw new Error(`no log line of job ${id} matches ${pattern}: ${lines.join(' | ')}`);
  }
  async function waitForLog(id: string, pattern: RegExp, timeoutMs: number) {
    await waitFor(() => jobLogs(id), (lines) => lines.some((l) => pattern.test(l)), timeoutMs, `a log line ${pattern}`);
    return jobLog(id, pattern);
  }
});

const jobLogs = (id: string) => logsOf(env.config, id);
