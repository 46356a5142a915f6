// openapi.yaml at the repository root is the document the API serves; regenerate it with
// `npx fewshot openapi --write` after changing a schema.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { parse } from 'yaml';
import { OPENAPI_YAML, openapiDocument } from '../../src/service/openapi.js';
import { startApp, testEnv, type TestApp, type TestEnv } from './helpers.js';

let env: TestEnv;
let app: TestApp;
before(async () => {
  env = await testEnv();
  app = await startApp(env.config);
});
after(async () => {
  await app.close();
  await env.cleanup();
});

test('openapi.yaml is identical to the generated document and to GET /openapi.json', async () => {
  const generated = await openapiDocument();
  const file = parse(await readFile(OPENAPI_YAML, 'utf8'));
  assert.deepEqual(file, generated, 'openapi.yaml is stale: run `npx fewshot openapi --write`');
  const served = await app.api.get('/openapi.json').expect(200);
  assert.deepEqual(served.body, generated);
});

test('the document covers every route, with request bodies from the zod schemas', async () => {
  const doc = (await app.api.get('/openapi.json').expect(200)).body;
  assert.deepEqual(Object.keys(doc.paths).sort(), [
    '/healthz',
    '/metrics',
    '/readyz',
    '/v1/adaptations/{id}',
    '/v1/adaptations/{id}/predict',
    '/v1/datasets',
    '/v1/datasets/{id}',
    '/v1/datasets/{id}/samples',
    '/v1/jobs',
    '/v1/jobs/{id}',
    '/v1/jobs/{id}/cancel',
    '/v1/jobs/{id}/events',
    '/v1/jobs/{id}/metrics',
    '/v1/keys',
    '/v1/keys/{id}',
    '/v1/models',
    '/v1/models/{id}',
    '/v1/models/{id}/adaptations',
    '/v1/models/{id}/manifest',
    '/v1/models/{id}/predict',
    '/v1/session',
  ]);
  const upload = doc.paths['/v1/datasets'].post.requestBody.content;
  assert.deepEqual(Object.keys(upload).sort(), ['application/json', 'application/x-ndjson', 'application/zip']);
  assert.equal(upload['application/zip'].schema.format, 'binary');
  const job = doc.paths['/v1/jobs'].post;
  assert.ok(job.parameters.some((p: { name: string; in: string }) => p.name === 'idempotency-key' && p.in === 'header'));
  assert.ok(doc.components.schemas.Error);
});

test('security: schemes, public routes open, every other route answers 401/403, limited ones 429', async () => {
  const doc = (await app.api.get('/openapi.json').expect(200)).body;
  assert.deepEqual(Object.keys(doc.components.securitySchemes).sort(), ['bearerKey', 'headerKey', 'sessionCookie']);
  assert.equal(doc.components.securitySchemes.bearerKey.scheme, 'bearer');
  assert.ok(doc.security.length > 0);
  for (const [path, methods] of Object.entries(doc.paths as Record<string, Record<string, { security?: unknown[]; responses: Record<string, unknown> }>>)) {
    for (const [method, op] of Object.entries(methods)) {
      const open = ['/healthz', '/readyz', '/v1/session'].includes(path);
      assert.equal(op.security !== undefined && op.security.length === 0, open, `${method} ${path} security`);
      assert.equal('401' in op.responses && '403' in op.responses, !open, `${method} ${path} 401/403`);
      assert.equal('429' in op.responses, !['/healthz', '/readyz'].includes(path) && !(path === '/v1/session' && method === 'delete'), `${method} ${path} 429`);
    }
  }
});
