// Rate limits shared by two API replicas on one Redis, per key and per budget; trustProxy;
// bodies over a route's limit refused before they are read; helmet's headers; CORS only for
// the configured origins.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startApp, testEnv, type TestApp, type TestEnv } from './helpers.js';

describe('rate limits across two replicas', () => {
  let env: TestEnv;
  let one: TestApp;
  let two: TestApp;
  const predict = { support: [{ label: 'a', vector: [1] }, { label: 'b', vector: [2] }], queries: [{ vector: [1] }] };

  before(async () => {
    env = await testEnv({ FEWSHOT_RATE_LIMIT_PREDICT: '4', FEWSHOT_RATE_LIMIT_TRAIN: '2', FEWSHOT_RATE_LIMIT_READ: '6', FEWSHOT_RATE_LIMIT_WINDOW_SECONDS: '30' });
    one = await startApp(env.config);
    two = await startApp(env.config);
  });
  after(async () => {
    await Promise.all([one.close(), two.close()]);
    await env.cleanup();
  });

  test('one budget per key, counted across replicas: 429 with Retry-After in the error shape', async () => {
    const { key } = (await one.api.post('/v1/keys').send({ name: 'limited', scope: 'train' })).body;
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await (i % 2 ? two : one).as(key).post('/v1/models/mdl_none/predict').send(predict)).status);
    assert.deepEqual(statuses, [404, 404, 404, 404], 'within the budget (no such model)');
    const limited = await two.as(key).post('/v1/models/mdl_none/predict').send(predict);
    assert.equal(limited.status, 429);
    const retryAfter = Number(limited.headers['retry-after']);
    assert.ok(retryAfter > 0 && retryAfter <= 30, `Retry-After: ${limited.headers['retry-after']}`);
    assert.equal(limited.headers['x-ratelimit-limit'], '4');
    assert.equal(limited.body.error.code, 'rate_limited');
    assert.deepEqual({ ...limited.body.error.details, retryAfterSeconds: undefined }, { budget: 'predict', limit: 4, windowSeconds: 30, retryAfterSeconds: undefined });
    // Adaptations draw on the same predict budget, on either replica.
    assert.equal((await one.as(key).post('/v1/adaptations/ad_none/predict').send({ queries: predict.queries })).status, 429);

    // Training and uploads have a budget of their own, still untouched; and so do reads.
    const examples = [{ label: 'a', vector: [1] }, { label: 'b', vector: [2] }];
    await one.as(key).post('/v1/datasets').send({ name: 'd1', examples }).expect(201);
    await two.as(key).post('/v1/datasets').send({ name: 'd2', examples }).expect(201);
    assert.equal((await one.as(key).post('/v1/datasets').send({ name: 'd3', examples })).status, 429);
    await two.as(key).get('/v1/datasets').expect(200);
  });

  test('another key has budgets of its own; public routes are never limited', async () => {
    const { key } = (await two.api.post('/v1/keys').send({ name: 'fresh', scope: 'predict' })).body;
    assert.equal((await one.as(key).post('/v1/models/mdl_none/predict').send(predict)).status, 404);
    for (let i = 0; i < 10; i++) await (i % 2 ? one : two).as().get('/healthz').expect(200);
  });
});

describe('trustProxy and rate limits by address (auth off)', () => {
  const run = async (trustProxy: string | undefined, forwardedFor: (i: number) => string) => {
    const env = await testEnv({ FEWSHOT_AUTH: 'off', FEWSHOT_RATE_LIMIT_READ: '3', ...(trustProxy ? { FEWSHOT_TRUST_PROXY: trustProxy } : {}) });
    const app = await startApp(env.config);
    try {
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await app.as().get('/v1/datasets').set('x-forwarded-for', forwardedFor(i))).status);
      return statuses;
    } finally {
      await app.close();
      await env.cleanup();
    }
  };

  test('off by default: a client cannot pick its address with X-Forwarded-For', async () => {
    assert.deepEqual(await run(undefined, (i) => `203.0.113.${i}`), [200, 200, 200, 429]);
  });

  test('FEWSHOT_TRUST_PROXY=1: the nearest proxy’s X-Forwarded-For names the client', async () => {
    assert.deepEqual(await run('1', (i) => `203.0.113.${i}`), [200, 200, 200, 200]);
    assert.deepEqual(await run('1', () => '203.0.113.9'), [200, 200, 200, 429]);
  });
});

describe('bodies, headers, origins', () => {
  let env: TestEnv;
  let app: TestApp;
  let port: number;

  before(async () => {
    env = await testEnv({ FEWSHOT_BODY_LIMIT_BYTES: String(64 * 1024), FEWSHOT_UPLOAD_LIMIT_BYTES: String(128 * 1024), FEWSHOT_CORS_ORIGINS: 'https://app.example' });
    app = await startApp(env.config);
    await app.app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.app.server.address() as { port: number }).port;
  });
  after(async () => {
    await app.close();
    await env.cleanup();
  });

  /** Sends only the head of a request that announces `length` body bytes; resolves with the status line the server answers. */
  const announce = (path: string, contentType: string, length: number) =>
    new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(
          `POST ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${app.adminKey}\r\nContent-Type: ${contentType}\r\nContent-Length: ${length}\r\n\r\n{"na`,
        );
      });
      let answer = '';
      socket.on('data', (chunk) => {
        answer += chunk;
        if (answer.includes('\r\n\r\n')) {
          socket.destroy();
          resolve(answer);
        }
      });
      socket.on('error', reject);
      setTimeout(() => {
        socket.destroy();
        reject(new Error(`no answer to ${path} while its body was still to come`));
      }, 10_000).unref();
    });

  test('a body announced over its route’s limit is refused (413) before it is sent', async () => {
    for (const [path, type, limit] of [
      ['/v1/datasets', 'application/json', 64 * 1024],
      ['/v1/datasets?name=x', 'application/x-ndjson', 64 * 1024],
      ['/v1/datasets?name=x', 'application/zip', 128 * 1024],
      ['/v1/models/mdl_x/predict', 'application/json', 64 * 1024],
    ] as const) {
      assert.match(await announce(path, type, limit + 1), /^HTTP\/1.1 413 /, `${type} on ${path}`);
    }
  });

  test('the body of an unauthenticated request is never read: 401 first', async () => {
    const res = await app.as().post('/v1/datasets').set('content-type', 'application/json').send('{"not json');
    assert.equal(res.status, 401);
  });

  test('helmet’s security headers on every response', async () => {
    for (const res of [await app.as().get('/healthz'), await app.api.get('/v1/models'), await app.as().get('/v1/models')]) {
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
      assert.equal(res.headers['x-frame-options'], 'SAMEORIGIN');
      assert.match(res.headers['content-security-policy'], /default-src 'self'/);
      assert.match(res.headers['strict-transport-security'], /max-age=/);
    }
  });

  test('CORS: preflights from a listed origin are answered without a key; other origins get no CORS headers', async () => {
    const preflight = await app
      .as()
      .options('/v1/models/mdl_x/predict')
      .set('origin', 'https://app.example')
      .set('access-control-request-method', 'POST')
      .set('access-control-request-headers', 'authorization,content-type');
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers['access-control-allow-origin'], 'https://app.example');
    assert.match(preflight.headers['access-control-allow-headers'], /authorization/);
    const allowed = await app.api.get('/v1/models').set('origin', 'https://app.example').expect(200);
    assert.equal(allowed.headers['access-control-allow-origin'], 'https://app.example');
    const other = await app.api.get('/v1/models').set('origin', 'https://evil.example').expect(200);
    assert.equal(other.headers['access-control-allow-origin'], undefined);
  });

  test('no CORS at all unless FEWSHOT_CORS_ORIGINS lists origins', async () => {
    const plain = await testEnv();
    const server = await startApp(plain.config);
    try {
      const res = await server.api.get('/v1/models').set('origin', 'https://app.example').expect(200);
      assert.equal(res.headers['access-control-allow-origin'], undefined);
    } finally {
      await server.close();
      await plain.cleanup();
    }
  });
});
