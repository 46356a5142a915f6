// Regressions the fuzzer found, each pinned by a plain request: every answer in the one error
// shape, none a 500.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startApp, testEnv, type TestApp, type TestEnv } from './helpers.js';

describe('hostile input', () => {
  let env: TestEnv;
  let t: TestApp;
  const inject = (opts: { method?: string; url: string; headers?: Record<string, string>; payload?: string }) =>
    t.app.inject({ method: (opts.method ?? 'GET') as 'GET', url: opts.url, headers: opts.headers, payload: opts.payload });
  const admin = () => ({ authorization: `Bearer ${t.adminKey}` });

  before(async () => {
    env = await testEnv();
    t = await startApp(env.config);
  });
  after(async () => {
    await t.close();
    await env.cleanup();
  });

  test('a badly percent-encoded session cookie is a 401, not a 500', async () => {
    const res = await inject({ url: '/v1/datasets', headers: { cookie: 'fewshot_key=%zz' } });
    assert.equal(res.statusCode, 401);
    assert.equal(res.json().error.code, 'unauthorized');
  });

  test('URLs the router refuses answer in the one error shape', async () => {
    const bad = await inject({ url: '/v1/%E0%A4%A', headers: admin() });
    assert.equal(bad.statusCode, 400);
    assert.deepEqual(Object.keys(bad.json()), ['error']);
    assert.equal(bad.json().error.code, 'validation_failed');
    for (const length of [150, 1000]) {
      const long = await inject({ url: `/v1/jobs/${'x'.repeat(length)}`, headers: admin() });
      assert.equal(long.statusCode, 400, `id of ${length}`);
      assert.equal(long.json().error.code, 'validation_failed');
    }
  });

  test('numbers beyond 32-bit floats are a 400 naming the example', async () => {
    const res = await inject({
      method: 'POST',
      url: '/v1/datasets',
      headers: { ...admin(), 'content-type': 'application/json' },
      payload: JSON.stringify({ name: 'big', examples: [{ label: 'a', vector: [1, 2] }, { label: 'b', vector: [1e39, 2] }] }),
    });
    assert.equal(res.statusCode, 400);
    assert.match(res.json().error.message, /^example 1: vector has a value beyond the 32-bit float range/);
  });
});
