// API keys against a real Redis: the scope matrix over every registered route (a route added
// later is in it by construction), 401/403 details, the three ways to present a key, the
// keys API and CLI, seeding, and auth turned off.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import supertest from 'supertest';
import { covers, KEY_SCOPES, type KeyScope } from '../../src/service/access.js';
import { loadConfig } from '../../src/service/config.js';
import { parseKeySeeds } from '../../src/service/registry/keys.js';
import { start } from '../../src/service/server.js';
import { REDIS_URL, startApp, testEnv, type TestApp, type TestEnv } from './helpers.js';
import { BIN } from '../../scripts/lib/service.js';

let env: TestEnv;
let app: TestApp;
const keys = {} as Record<KeyScope, string>;

before(async () => {
  env = await testEnv();
  app = await startApp(env.config);
  for (const scope of KEY_SCOPES) keys[scope] = (await app.deps.keys.create({ name: `matrix-${scope}`, scope })).key;
});
after(async () => {
  await app.close();
  await env.cleanup();
});

function assertUnauthorized(res: { status: number; headers: Record<string, string>; body: { error?: { code: string } } }, error?: string) {
  assert.equal(res.status, 401, JSON.stringify(res.body));
  assert.equal(res.body.error?.code, 'unauthorized');
  assert.match(res.headers['www-authenticate'], /^Bearer realm="fewshot"/);
  if (error) assert.match(res.headers['www-authenticate'], new RegExp(`error="${error}"`));
}

/** A concrete URL for a route pattern: unknown ids, so no request changes anything. */
const concrete = (url: string) => url.replace(/:(\w+)/g, 'x_none').replace(/\*$/, 'index.css');

describe('the scope matrix, generated from the registered routes', () => {
  // What this issue decided for its own routes; routes added elsewhere are checked against what they declare.
  const EXPECTED: Record<string, string> = {
    'GET /healthz': 'public',
    'GET /readyz': 'public',
    'GET /openapi.json': 'public',
    'GET /docs/': 'public',
    'POST /v1/session': 'public',
    'DELETE /v1/session': 'public',
    'GET /metrics': 'admin',
    'POST /v1/keys': 'admin',
    'GET /v1/keys': 'admin',
    'DELETE /v1/keys/:id': 'admin',
    'POST /v1/datasets': 'train',
    'GET /v1/datasets': 'train',
    'GET /v1/datasets/:id': 'train',
    'DELETE /v1/datasets/:id': 'train',
    'POST /v1/jobs': 'train',
    'GET /v1/jobs': 'train',
    'GET /v1/jobs/:id': 'train',
    'GET /v1/jobs/:id/events': 'train',
    'POST /v1/jobs/:id/cancel': 'train',
    'GET /v1/models': 'predict',
    'GET /v1/models/:id': 'predict',
    'DELETE /v1/models/:id': 'train',
    'POST /v1/models/:id/predict': 'predict',
    'POST /v1/models/:id/adaptations': 'predict',
    'POST /v1/adaptations/:id/predict': 'predict',
    'DELETE /v1/adaptations/:id': 'predict',
    // The dashboard (#14): its files are public, what it reads is not.
    'GET /': 'public',
    'GET /ui': 'public',
    'GET /ui/*': 'public',
    'GET /v1/jobs/:id/metrics': 'train',
    'GET /v1/datasets/:id/samples': 'train',
    'GET /v1/models/:id/manifest': 'predict',
    'GET /admin/queues/': 'admin',
  };

  test('every route declares the scope this issue gave it', () => {
    const declared = new Map(app.app.routeScopes().map((r) => [`${r.method} ${r.url}`, r.scope]));
    for (const [route, scope] of Object.entries(EXPECTED)) assert.equal(declared.get(route), scope, route);
    // Only public routes may be public: anything else that forgot to declare is admin-only.
    for (const [route, scope] of declared) {
      const asGet = route.replace(/^HEAD /, 'GET ');
      if (scope === 'public') assert.ok(route.includes(' /docs') || EXPECTED[asGet] === 'public', `${route} is public`);
    }
  });

  test('no key, a bad key, and each scope, on every route', async () => {
    const routes = app.app.routeScopes().filter((r) => r.method !== 'HEAD');
    assert.ok(routes.length >= Object.keys(EXPECTED).length);
    const send = (method: string, url: string, key?: string) => {
      const request = supertest(app.app.server)[method.toLowerCase() as 'get'](concrete(url));
      if (key) request.set('authorization', `Bearer ${key}`);
      return ['POST', 'PUT', 'PATCH'].includes(method) ? request.send({}) : request;
    };
    for (const { method, url, scope } of routes) {
      const where = `${method} ${url} (${scope})`;
      const anonymous = await send(method, url);
      const bad = await send(method, url, 'fsk_thisisnotakeythisisnotakeythisisnotakey');
      if (scope === 'public') {
        assert.ok(![401, 403].includes(anonymous.status), `${where} without a key: ${anonymous.status}`);
        continue;
      }
      assertUnauthorized(anonymous);
      assertUnauthorized(bad, 'invalid_token');
      for (const held of KEY_SCOPES) {
        const res = await send(method, url, keys[held]);
        if (covers(held, scope)) assert.ok(![401, 403].includes(res.status), `${where} with a ${held} key: ${res.status} ${res.text}`);
        else {
          assert.equal(res.status, 403, `${where} with a ${held} key: ${res.status}`);
          assert.equal(res.body.error.code, 'forbidden');
          assert.match(res.body.error.message, new RegExp(`needs a ${scope} key; this one is ${held}`));
        }
      }
    }
  });

  test('unknown URLs need a key of any scope, then answer 404', async () => {
    assertUnauthorized(await app.as().get('/v1/nothing'));
    assert.equal((await app.as(keys.predict).get('/v1/nothing')).status, 404);
  });
});

describe('presenting a key', () => {
  test('Authorization: Bearer, x-api-key, and a malformed header', async () => {
    await app.as().get('/v1/models').set('authorization', `Bearer ${keys.predict}`).expect(200);
    await app.as().get('/v1/models').set('x-api-key', keys.predict).expect(200);
    assertUnauthorized(await app.as().get('/v1/models').set('authorization', `Basic ${keys.predict}`), 'invalid_request');
  });

  test('the session cookie: POST /v1/session sets it (HttpOnly, SameSite=Strict), it authenticates, DELETE clears it', async () => {
    assertUnauthorized(await app.as().post('/v1/session').send({ key: 'fsk_wrongwrongwrongwrongwrongwrong' }), 'invalid_token');
    const res = await app.as().post('/v1/session').send({ key: keys.train }).expect(204);
    const cookie = res.headers['set-cookie'][0];
    assert.match(cookie, /^fewshot_key=fsk_[\w-]+; /);
    for (const attribute of ['HttpOnly', 'SameSite=Strict', 'Path=/']) assert.ok(cookie.includes(attribute), cookie);
    const pair = cookie.split(';')[0];
    await app.as().get('/v1/datasets').set('cookie', pair).expect(200);
    assert.equal((await app.as().get('/v1/keys').set('cookie', pair)).status, 403, 'a cookie carries its key’s scope');
    const cleared = await app.as().delete('/v1/session').set('cookie', pair).expect(204);
    assert.match(cleared.headers['set-cookie'][0], /^fewshot_key=; .*Max-Age=0/);
  });

  test('only a SHA-256 digest of a key is in Redis', async () => {
    const { key } = (await app.api.post('/v1/keys').send({ name: 'digest-check', scope: 'predict' }).expect(201)).body;
    const names = await app.deps.redis.keys(`${env.config.prefix}:apikey*`);
    const values = await Promise.all(
      names.map(async (name) => ((await app.deps.redis.type(name)) === 'string' ? app.deps.redis.get(name) : JSON.stringify(await app.deps.redis.zrange(name, '0', '-1')))),
    );
    assert.ok(names.length > 0 && values.every((v) => !v!.includes(key) && !names.some((n) => n.includes(key))));
  });
});

describe('/v1/keys and the CLI', () => {
  test('create (shown once), list (no secrets), revoke (then 401)', async () => {
    const created = await app.api.post('/v1/keys').send({ name: 'team-a', scope: 'train' }).expect(201);
    assert.match(created.body.key, /^fsk_[\w-]{43}$/);
    assert.equal(created.body.tenant, 'team-a', 'the tenant defaults to the name');
    await app.as(created.body.key).get('/v1/datasets').expect(200);
    const list = (await app.api.get('/v1/keys').expect(200)).body.keys;
    const listed = list.find((k: { id: string }) => k.id === created.body.id);
    assert.deepEqual(Object.keys(listed).sort(), ['createdAt', 'id', 'name', 'scope', 'source', 'tenant']);
    assert.ok(!JSON.stringify(list).includes(created.body.key));
    await app.api.delete(`/v1/keys/${created.body.id}`).expect(204);
    assertUnauthorized(await app.as(created.body.key).get('/v1/datasets'), 'invalid_token');
    await app.api.delete(`/v1/keys/${created.body.id}`).expect(404);
    const bad = await app.api.post('/v1/keys').send({ name: 'a b', scope: 'root' }).expect(400);
    assert.deepEqual(bad.body.error.details.map((d: { path: string }) => d.path).sort(), ['/name', '/scope']);
  });

  test('fewshot keys create | list | revoke, on the same Redis and prefix', { timeout: 60_000 }, async () => {
    const cli = (...args: string[]) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [BIN, 'keys', ...args], { env: { ...process.env, ...env.env } });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d) => (stdout += d));
        child.stderr.on('data', (d) => (stderr += d));
        child.on('exit', (code) => resolve({ code, stdout, stderr }));
      });
    const created = await cli('create', '--scope', 'predict', '--name', 'cli-team', '--tenant', 'cli-tenant');
    assert.equal(created.code, 0, created.stderr);
    const key = created.stdout.trim();
    assert.match(key, /^fsk_[\w-]{43}$/, 'stdout holds the key alone');
    await app.as(key).get('/v1/models').expect(200);
    const listed = await cli('list', '--json');
    const record = (JSON.parse(listed.stdout) as { id: string; name: string; tenant: string; scope: string }[]).find((k) => k.name === 'cli-team')!;
    assert.deepEqual([record.tenant, record.scope], ['cli-tenant', 'predict']);
    assert.equal((await cli('revoke', record.id)).code, 0);
    assertUnauthorized(await app.as(key).get('/v1/models'));
    const usage = await cli('create', '--scope', 'owner', '--name', 'x');
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--scope/);
  });
});

describe('seeding and turning auth off (server start-up)', () => {
  const captured = () => {
    const lines: Record<string, unknown>[] = [];
    const log = pino(
      { level: 'info' },
      new Writable({
        write(chunk, _encoding, done) {
          lines.push(JSON.parse(chunk.toString()));
          done();
        },
      }),
    );
    return { log, lines };
  };
  const seedKey = (n: number) => `seeded-secret-${n}-${'x'.repeat(24)}`;

  test('FEWSHOT_API_KEYS_FILE seeds keys; a later seed list updates, removes, and never revives a revoked key', { timeout: 60_000 }, async () => {
    const file = join(env.config.dataDir, 'api-keys');
    await writeFile(file, `# name:scope[:tenant]:key\nops:admin:${seedKey(1)}\nteam-x:train:tenant-x:${seedKey(2)}\n`);
    const boot = async () => {
      const { log, lines } = captured();
      const config = loadConfig({ ...env.env, PORT: '0', HOST: '127.0.0.1', FEWSHOT_API_KEYS_FILE: file });
      const running = await start(config, REDIS_URL, log, { api: true, worker: false });
      return { running, lines, api: (key: string) => supertest(running.url!).get('/v1/keys').set('x-api-key', key) };
    };
    const first = await boot();
    try {
      const listed = (await first.api(seedKey(1)).expect(200)).body.keys;
      const teamX = listed.find((k: { name: string }) => k.name === 'team-x');
      assert.deepEqual([teamX.tenant, teamX.scope, teamX.source], ['tenant-x', 'train', 'seed']);
      assert.equal((await first.api(seedKey(2))).status, 403);
      await supertest(first.running.url!).delete(`/v1/keys/${teamX.id}`).set('x-api-key', seedKey(1)).expect(204);
    } finally {
      await first.running.close();
    }
    // team-x's revoked secret stays revoked; ops gets a new secret; a new seed appears.
    await writeFile(file, `ops:admin:${seedKey(3)},team-x:train:tenant-x:${seedKey(2)},team-y:predict:${seedKey(4)}`);
    const second = await boot();
    try {
      assertUnauthorized(await second.api(seedKey(1)), 'invalid_token');
      assertUnauthorized(await second.api(seedKey(2)), 'invalid_token');
      const names = (await second.api(seedKey(3)).expect(200)).body.keys.map((k: { name: string }) => k.name);
      assert.ok(names.includes('team-y') && !names.includes('team-x'), names.join());
      assert.ok(second.lines.some((l) => l.msg === 'seeded API keys refused: these secrets were revoked'));
    } finally {
      await second.running.close();
    }
  });

  test('malformed seeds are refused with the entry named', () => {
    assert.throws(() => parseKeySeeds('ops:admin'), /seed 1: expected name:scope\[:tenant\]:key/);
    assert.throws(() => parseKeySeeds(`ops:root:${seedKey(1)}`), /seed 1 \(ops\): scope/);
    assert.throws(() => parseKeySeeds('ops:admin:short'), /seed 1 \(ops\): key/);
    assert.throws(() => parseKeySeeds(`a:admin:${seedKey(1)}\na:train:${seedKey(2)}`), /name a twice/);
    assert.deepEqual(parseKeySeeds(`\n# comment\nops:admin:${seedKey(1)}\n`), [{ name: 'ops', scope: 'admin', tenant: 'ops', key: seedKey(1) }]);
  });

  test('FEWSHOT_AUTH=off: no key needed, tenant "default", and the start-up log says so', { timeout: 60_000 }, async () => {
    const { log, lines } = captured();
    const config = loadConfig({ ...env.env, PORT: '0', HOST: '127.0.0.1', FEWSHOT_AUTH: 'off' });
    const running = await start(config, REDIS_URL, log, { api: true, worker: false });
    try {
      const created = await supertest(running.url!).post('/v1/datasets').send({ name: 'open', examples: [{ label: 'a', vector: [1] }, { label: 'b', vector: [2] }] }).expect(201);
      assert.equal(created.body.tenant, 'default');
      await supertest(running.url!).get('/metrics').expect(200);
      assert.ok(lines.some((l) => l.level === 40 && String(l.msg).startsWith('authentication is OFF (FEWSHOT_AUTH=off)')));
    } finally {
      await running.close();
    }
  });
});
