// With FEWSHOT_BACKEND=auto and the native kernels built, the service runs on them and says so:
// /readyz (the prediction process), each job's backend field and each job's log (the training
// processor). Skips where the addon is not built; fails instead under FEWSHOT_REQUIRE_NATIVE=1.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Queue } from 'bullmq';
import { createLogger } from '../../src/service/logger.js';
import { startTrainWorker, type TrainWorker } from '../../src/service/queue/worker.js';
import { TRAIN_QUEUE } from '../../src/service/queue/types.js';
import { createRedis } from '../../src/service/redis.js';
import { nativeUnavailable } from '../helpers/backend.js';
import { REDIS_URL, startApp, testEnv, uploadClusters, waitFor, type TestApp, type TestEnv } from './helpers.js';

const skip = await nativeUnavailable();
const NATIVE_DEVICE = /^CPU via oneDNN \d+\.\d+\.\d+ \(.+, \d+ threads?\)$/;

/** The API and a training worker, both choosing their backend with auto. */
async function autoService(): Promise<{ env: TestEnv; app: TestApp; close(): Promise<void> }> {
  const env = await testEnv({ FEWSHOT_BACKEND: 'auto' });
  const app = await startApp(env.config);
  const worker: TrainWorker = startTrainWorker(env.config, REDIS_URL, createLogger(env.config.logLevel, 'test-worker'));
  return { env, app, close: () => worker.close().then(() => app.close()).then(() => env.cleanup()) };
}

describe('FEWSHOT_BACKEND=auto on a machine with the native kernels', { skip: skip ?? false }, () => {
  let service: Awaited<ReturnType<typeof autoService>>;
  before(async () => (service = await autoService()));
  after(() => service.close());

  test('/readyz, a job and its log report the native backend and its device', async (t) => {
    const ready = await waitFor(() => service.app.api.get('/readyz'), (r) => r.status === 200, 60_000, 'readiness');
    if (ready.body.backend.name !== 'native' && /CUDA|webgpu/i.test(`${ready.body.backend.name} ${ready.body.backend.device}`)) {
      t.skip('a GPU backend comes first on this machine');
      return;
    }
    assert.equal(ready.body.backend.name, 'native');
    assert.match(ready.body.backend.device, NATIVE_DEVICE);

    const datasetId = await uploadClusters(service.app.api, { classes: 8, perClass: 6, dim: 6, noise: 0.3, seed: 5 });
    const { body } = await service.app.api
      .post('/v1/jobs')
      .send({
        datasetId,
        algorithm: 'protonet',
        model: { hidden: [8] },
        episode: { ways: 3, shots: 1, queries: 2 },
        outer: { iterations: 3, metaBatchSize: 2 },
        validation: { every: 0 },
        checkpointEvery: 3,
        evaluation: { episodes: 0 },
      })
      .expect(202);
    const job = await waitFor(
      () => service.app.api.get(`/v1/jobs/${body.id}`).then((r) => r.body),
      (j) => ['completed', 'failed', 'cancelled'].includes(j.status),
      120_000,
      'job to finish',
    );
    assert.equal(job.status, 'completed', JSON.stringify(job));
    assert.equal(job.backend.name, 'native');
    assert.match(job.backend.device, NATIVE_DEVICE);

    const connection = createRedis(REDIS_URL, 'client', 'fewshot-test-logs');
    const queue = new Queue(TRAIN_QUEUE, { connection, prefix: service.env.config.prefix });
    try {
      const { logs } = await queue.getJobLogs(body.id);
      assert.ok(logs.some((line) => /backend native \(CPU via oneDNN/.test(line)), logs.join('\n'));
      assert.ok(!logs.some((line) => /running on wasm/.test(line)), 'no fallback line');
    } finally {
      await queue.close();
      await connection.quit();
    }
  });
});
