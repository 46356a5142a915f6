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
