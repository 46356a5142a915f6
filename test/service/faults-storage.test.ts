// Storage failures: an upload into a data directory that cannot be written, a disk that fills
// during an upload, and one that fills while a job trains. Each is a clear error naming what
// failed and why (no server path), leaves no half-registered dataset or stray files, and the
// job fails with the cause. The full disk is a real one: a small tmpfs mounted over the data
// directory (skipped where this process may not mount).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { statfs, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { filesBelow } from '../../src/service/storage/local.js';
import { clusters, resumableJob, startApp, startAppWithWorker, testEnv, waitFor, type TestApp, type TestEnv } from './helpers.js';

const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** An app (and a worker) on a fresh data directory; that directory a tmpfs of `tmpfsBytes` if given. */
async function setUp(opts: { withWorker?: boolean; tmpfsBytes?: number } = {}): Promise<{ env: TestEnv; app: TestApp }> {
  const env = await testEnv();
  cleanups.push(() => env.cleanup());
  if (opts.tmpfsBytes) assert.ok(mountTmpfs(env.config.dataDir, opts.tmpfsBytes));
  const app = await (opts.withWorker ? startAppWithWorker : startApp)(env.config);
  cleanups.push(() => app.close());
  return { env, app };
}

const vectors = (classes: number, perClass: number, dim: number) => clusters({ classes, perClass, dim, noise: 0.3, seed: 8 });

test('a data directory that cannot be written: 503 storage_unavailable saying why; no dataset registered', async () => {
  const { env, app } = await setUp();
  // A file where the datasets directory belongs: unwritable even for root.
  await writeFile(join(env.config.dataDir, 'datasets'), 'not a directory');
  const res = await app.api.post('/v1/datasets').send({ name: 'blocked', examples: vectors(3, 3, 4) });
  assert.equal(res.status, 503, JSON.stringify(res.body));
  assert.equal(res.body.error.code, 'storage_unavailable');
  assert.equal(res.body.error.message, 'storing the dataset failed: a file stands where a directory belongs (ENOTDIR)');
  assert.ok(!res.body.error.message.includes(env.config.dataDir), 'no server path');
  assert.deepEqual((await app.api.get('/v1/datasets').expect(200)).body.datasets, []);
});

/** Mounts a tmpfs of `bytes` at `dir`; false where this process may not. */
function mountTmpfs(dir: string, bytes: number): boolean {
  if (process.getuid?.() !== 0) return false;
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir], { stdio: 'ignore' }).status === 0;
  if (mounted) cleanups.push(async () => spawnSync('umount', ['-l', dir], { stdio: 'ignore' }));
  return mounted;
}

const canMount = (() => {
  if (process.getuid?.() !== 0) return false;
  const probe = spawnSync('sh', ['-c', 'd=$(mktemp -d) && mount -t tmpfs -o size=64k tmpfs "$d" && umount "$d"; s=$?; rmdir "$d"; exit $s'], { stdio: 'ignore' });
  return probe.status === 0;
})();

describe('a full disk (tmpfs)', { skip: !canMount && 'cannot mount a tmpfs here' }, () => {
  test('during an upload: 503 naming ENOSPC, no dataset registered, nothing left on the disk', async () => {
    const { env, app } = await setUp({ tmpfsBytes: 512 * 1024 });
    // About 600 KB of float32s, on a 512 KB disk.
    const res = await app.api.post('/v1/datasets').send({ name: 'too big', examples: vectors(10, 30, 500) });
    assert.equal(res.status, 503, JSON.stringify(res.body));
    assert.equal(res.body.error.message, 'storing the dataset failed: no space is left on the device (ENOSPC)');
    assert.deepEqual((await app.api.get('/v1/datasets').expect(200)).body.datasets, []);
    assert.deepEqual(await filesBelow(join(env.config.dataDir, 'datasets')), [], 'the partial file was removed');
    // The disk is usable again at once.
    await app.api.post('/v1/datasets').send({ name: 'small', examples: vectors(3, 3, 4) }).expect(201);
  });

  test('while a job trains: the job fails with the cause', async () => {
    const { env, app } = await setUp({ tmpfsBytes: 1024 * 1024, withWorker: true });
    const { body: dataset } = await app.api.post('/v1/datasets').send({ name: 'clusters', examples: vectors(8, 6, 8) }).expect(201);
    const { body: job } = await app.api.post('/v1/jobs').send({ ...resumableJob(dataset.id, 5000), validation: { every: 0, episodes: 5 }, checkpointEvery: 500 }).expect(202);
    const getJob = () => app.api.get(`/v1/jobs/${job.id}`).then((r) => r.body);
    await waitFor(getJob, (j) => j.progress !== null, 60_000, 'the job to train');
    const { bavail, bsize } = await statfs(env.config.dataDir);
    await writeFile(join(env.config.dataDir, 'filler'), Buffer.alloc(bavail * bsize));
    const ended = await waitFor(getJob, (j) => !['queued', 'running'].includes(j.status), 120_000, 'the job to end');
    assert.equal(ended.status, 'failed', JSON.stringify(ended));
    assert.equal(ended.error, 'writing a checkpoint failed: no space is left on the device (ENOSPC)');
  });
});
