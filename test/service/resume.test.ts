// Workers are real `fewshot worker` processes here. One is killed with SIGKILL mid-job: the job
// is recovered as stalled and resumes from its last checkpoint. The next gets SIGTERM: it hands
// the job back at once. A third finishes it, and exactly one model comes out.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { after, before, test } from 'node:test';
import { clusters, resumableJob, startApp, testEnv, waitFor, type TestApp, type TestEnv } from './helpers.js';
import { BIN } from '../../scripts/lib/service.js';

let env: TestEnv;
let app: TestApp;
const workers: ChildProcess[] = [];

function spawnWorker(): ChildProcess {
  const child = spawn(process.execPath, [BIN, 'worker'], { env: { ...process.env, ...env.env }, stdio: ['ignore', 'ignore', 'inherit'] });
  workers.push(child);
  return child;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

before(async () => {
  env = await testEnv();
  app = await startApp(env.config);
});
after(async () => {
  for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
  await app.close();
  await env.cleanup();
});

test('SIGKILL mid-job resumes from the last checkpoint; SIGTERM hands the job back; one model', async () => {
  const dataset = await app.api
    .post('/v1/datasets')
    .send({ name: 'clusters', examples: clusters({ classes: 12, perClass: 8, dim: 8, noise: 0.3, seed: 4 }) })
    .expect(201);
  const { body } = await app.api
    .post('/v1/jobs')
    .send(resumableJob(dataset.body.id, 300))
    .expect(202);
  const getJob = () => app.api.get(`/v1/jobs/${body.id}`).then((r) => r.body);
  const queue = (app.deps.jobs as unknown as { queue: { getJobLogs(id: string): Promise<{ logs: string[] }> } }).queue;
  const firstIteration = async (attempt: number) => {
    const { logs } = await queue.getJobLogs(body.id);
    const line = logs.find((l) => l.startsWith(`attempt ${attempt}: first iteration`));
    return line ? Number(/first iteration (\d+)/.exec(line)![1]) : null;
  };

  // 1. The first worker trains past two checkpoints, then dies without warning.
  const first = spawnWorker();
  await waitFor(getJob, (j) => j.checkpoints.length >= 2, 60_000, 'two checkpoints');
  const { logs } = await queue.getJobLogs(body.id);
  const trainerPid = Number(/\(pid (\d+)\)/.exec(logs[0])![1]);
  first.kill('SIGKILL');
  await once(first, 'exit');
  await waitFor(async () => alive(trainerPid), (a) => !a, 10_000, 'the orphaned training process to exit');
  const killedAt = await getJob();
  const lastCheckpoint = Math.max(...killedAt.checkpoints);
  assert.ok(killedAt.progress.iteration < 300, 'killed mid-job');
  type Point = { iteration: number; phase: string; time: string };
  const history = async () => (await app.api.get(`/v1/jobs/${body.id}/metrics`).expect(200)).body.points as Point[];
  const upToCheckpoint = (points: Point[]) => points.filter((p) => p.iteration <= lastCheckpoint);
  const firstAttempt = await history();
  assert.ok(upToCheckpoint(firstAttempt).length === lastCheckpoint, 'every iteration up to the checkpoint is in the history');

  // 2. Another worker notices the stalled job once the lock lapses and resumes it.
  const second = spawnWorker();
  await waitFor(() => firstIteration(2), (i) => i !== null, 60_000, 'the second attempt');
  const resumedAt = (await firstIteration(2))!;
  assert.ok(resumedAt > lastCheckpoint && resumedAt <= lastCheckpoint + 21, `resumed at ${resumedAt}, last checkpoint ${lastCheckpoint}`);

  // 3. SIGTERM: the worker stops the run at the next iteration, requeues the job, and exits cleanly.
  await waitFor(getJob, (j) => j.progress.iteration >= resumedAt + 20, 60_000, 'a checkpoint in the second attempt');
  const terminatedAt = Date.now();
  second.kill('SIGTERM');
  const [code] = await once(second, 'exit');
  assert.equal(code, 0);
  const requeued = await waitFor(getJob, (j) => j.status === 'queued', 5_000, 'the job back in the queue');
  assert.ok(Date.now() - terminatedAt < 10_000);
  assert.equal(requeued.modelId, undefined);

  // 4. A third worker finishes the run.
  spawnWorker();
  const done = await waitFor(getJob, (j) => ['completed', 'failed', 'cancelled'].includes(j.status), 120_000, 'completion');
  assert.equal(done.status, 'completed', JSON.stringify(done));
  assert.equal(done.progress.iteration, 300);
  assert.equal(done.attempts, 3);
  const thirdStart = (await firstIteration(3))!;
  assert.ok(thirdStart > resumedAt + 20, `third attempt started at ${thirdStart}`);

  // The metric history survived both workers: each iteration exactly once, the first attempt's
  // points up to its checkpoint as it wrote them, the iterations it lost written again later.
  const points = (await history()).filter((p) => p.phase === 'meta-training');
  assert.deepEqual(
    points.map((p) => p.iteration),
    Array.from({ length: 300 }, (_, i) => i + 1),
  );
  assert.deepEqual(upToCheckpoint(points), upToCheckpoint(firstAttempt));
  const lastOfFirst = firstAttempt.filter((p) => p.iteration > lastCheckpoint);
  for (const lost of lastOfFirst) {
    const again = points.find((p) => p.iteration === lost.iteration)!;
    assert.ok(Date.parse(again.time) > Date.parse(lost.time), `iteration ${lost.iteration} written again by a later attempt`);
  }

  const models = (await app.api.get('/v1/models').expect(200)).body.models.filter((m: { jobId: string }) => m.jobId === body.id);
  assert.equal(models.length, 1);
  assert.equal(models[0].id, done.modelId);
});
