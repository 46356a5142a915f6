import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/service/config.js';

test('defaults, with empty variables meaning unset', () => {
  const config = loadConfig({ PORT: '', FEWSHOT_DATA_DIR: '/data' });
  assert.equal(config.port, 8080);
  assert.equal(config.host, '0.0.0.0');
  assert.equal(config.redisUrl, undefined);
  assert.equal(config.dataDir, '/data');
  assert.equal(config.prefix, 'fewshot');
  assert.equal(config.backend, 'auto');
  assert.equal(config.jobs.concurrency, 1);
  // Safe to expose by default: keys required, no proxy believed, no CORS, local storage.
  assert.equal(config.auth.enabled, true);
  assert.equal(config.trustProxy, false);
  assert.deepEqual(config.corsOrigins, []);
  assert.deepEqual(config.storage, { kind: 'local' });
  assert.deepEqual(config.quotas, { activeJobs: 0, storedBytes: 0 });
});

test('auth, proxies, origins', () => {
  assert.equal(loadConfig({ FEWSHOT_AUTH: 'off' }).auth.enabled, false);
  assert.throws(() => loadConfig({ FEWSHOT_AUTH: 'no' }), /FEWSHOT_AUTH/);
  assert.equal(loadConfig({ FEWSHOT_TRUST_PROXY: 'true' }).trustProxy, true);
  assert.equal(loadConfig({ FEWSHOT_TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).trustProxy, '10.0.0.0/8, 127.0.0.1');
  const hops = loadConfig({ FEWSHOT_TRUST_PROXY: '2' }).trustProxy as (address: string, hop: number) => boolean;
  assert.deepEqual([hops('x', 0), hops('x', 1), hops('x', 2)], [true, true, false]);
  assert.deepEqual(loadConfig({ FEWSHOT_CORS_ORIGINS: 'https://a.example, https://b.example' }).corsOrigins, ['https://a.example', 'https://b.example']);
});

test('every invalid variable is named', () => {
  assert.throws(
    () => loadConfig({ PORT: 'eighty', REDIS_URL: 'http://x', FEWSHOT_BACKEND: 'gpu', FEWSHOT_REDIS_PREFIX: 'a:b' }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      for (const name of ['PORT', 'REDIS_URL', 'FEWSHOT_BACKEND', 'FEWSHOT_REDIS_PREFIX']) assert.match(error.message, new RegExp(name));
      return true;
    },
  );
});
