// Load shedding, forced with tiny thresholds: 503 `overloaded` with Retry-After in the one error
// shape, before a body is read; the health checks answer all the while.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, describe, test } from 'node:test';
import { startApp, testEnv, type TestApp, type TestEnv } from './helpers.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const predict = { support: [{ label: 'a', vector: [1] }, { label: 'b', vector: [2] }], queries: [{ vector: [1] }] };

function assertShed(res: { status: number; headers: Record<string, string>; body: { error: { code: string; details: Record<string, unknown> } } }, reason: string) {
  assert.equal(res.status, 503, JSON.stringify(res.body));
  assert.equal(res.headers['retry-after'], '3');
  assert.equal(res.body.error.code, 'overloaded');
  assert.equal(res.body.error.details.reason, reason);
  assert.equal(res.body.error.details.retryAfterSeconds, 3);
}

describe('load shedding', () => {
  const opened: { env: TestEnv; app: TestApp }[] = [];
  const open = async (overrides: Record<string, string>) => {
    const env = await testEnv({ FEWSHOT_SHED_RETRY_AFTER_SECONDS: '3', ...overrides });
    const app = await startApp(env.config);
    opened.push({ env, app });
    return app;
  };
  after(async () => {
    for (const { env, app } of opened) {
      await app.close();
      await env.cleanup();
    }
  });

  test('the prediction routes are shed while predictions wait for the prediction process; other routes are not', async () => {
    const { api, deps } = await open({ FEWSHOT_SHED_PREDICT_QUEUE: '2', FEWSHOT_SHED_EVENT_LOOP_DELAY_MS: '0' });
    await deps.runner.start();
    const child = (deps.runner as unknown as { child: ChildProcess }).child;
    // A stopped prediction process: the first request sits in it, the next ones wait in the queue.
    child.kill('SIGSTOP');
    let queued: Promise<unknown>[] = [];
    try {
      assert.equal((await api.post('/v1/models/mdl_none/predict').send(predict)).status, 404, 'not shed while nothing waits');
      queued = Array.from({ length: 3 }, () => deps.runner.request({ op: 'release', adaptationId: 'ad_none' }).catch(() => null));
      await sleep(100);
      assert.equal(deps.runner.waiting, 2);
      const shed = await api.post('/v1/models/mdl_none/predict').send(predict);
      assertShed(shed, 'prediction_queue');
      assert.deepEqual({ waiting: shed.body.error.details.waiting, limit: shed.body.error.details.limit }, { waiting: 2, limit: 2 });
      assertShed(await api.post('/v1/adaptations/ad_none/predict').send({ queries: predict.queries }), 'prediction_queue');
      await api.get('/v1/datasets').expect(200);
      await api.get('/healthz').expect(200);
    } finally {
      child.kill('SIGCONT');
    }
    await Promise.all(queued);
    assert.equal(deps.runner.waiting, 0);
    assert.equal((await api.post('/v1/models/mdl_none/predict').send(predict)).status, 404, 'served again once the queue is gone');
  });

  test('every route but the health checks is shed while the event loop lags', { timeout: 30_000 }, async () => {
    const { api } = await open({ FEWSHOT_SHED_EVENT_LOOP_DELAY_MS: '1', FEWSHOT_SHED_PREDICT_QUEUE: '0' });
    await api.get('/v1/datasets').expect(200);
    // The delay is sampled twice a second: block the loop (this process is the server's) until a sample sees it.
    let shed = null;
    for (let attempt = 0; attempt < 20 && !shed; attempt++) {
      const until = performance.now() + 300;
      while (performance.now() < until);
      await sleep(20);
      const res = await api.get('/v1/datasets');
      if (res.status !== 200) {
        shed = res;
        // Within the same sample: the health checks answer.
        await api.get('/healthz').expect(200);
        assert.ok(['ready', 'not_ready'].includes((await api.get('/readyz')).body.status), 'readiness answered, not shed');
      }
    }
    assert.ok(shed, 'no request was shed');
    assertShed(shed, 'event_loop_delay');
    assert.ok((shed.body.error.details.delayMs as number) >= 1);
    assert.equal(shed.body.error.details.limitMs, 1);
    assert.match(shed.body.error.message, /overloaded \(event-loop delay \d+ ms\); retry in 3 s/);
  });
});
