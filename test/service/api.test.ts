// Every route's contract against a real Redis: shapes, statuses, the one error shape.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { zipSync } from 'fflate';
import sharp from 'sharp';
import { clusters, startApp, testEnv, uploadClusters, waitFor, type TestApp, type TestEnv } from './helpers.js';

let env: TestEnv;
let app: TestApp;

before(async () => {
  env = await testEnv({ FEWSHOT_BODY_LIMIT_BYTES: String(256 * 1024) });
  app = await startApp(env.config);
});
after(async () => {
  await app.close();
  await env.cleanup();
});

function assertError(body: unknown, code: string) {
  const error = (body as { error: { code: string; message: string } }).error;
  assert.equal(error.code, code, JSON.stringify(body));
  assert.equal(typeof error.message, 'string');
  assert.ok(!JSON.stringify(body).includes('    at '), 'no stack trace');
}

const png = (value: number) =>
  sharp({ create: { width: 12, height: 12, channels: 3, background: { r: value, g: value, b: value } } }).png().toBuffer();

describe('health, metrics, docs', () => {
  test('GET /healthz', async () => {
    const res = await app.api.get('/healthz').expect(200);
    assert.deepEqual(res.body, { status: 'ok' });
  });

  test('GET /readyz reports Redis, the backend and workers; 503 until the backend is up', async () => {
    const first = await app.api.get('/readyz');
    assert.ok(first.status === 200 || (first.status === 503 && first.body.status === 'not_ready'), JSON.stringify(first.body));
    const res = await waitFor(() => app.api.get('/readyz'), (r) => r.status === 200, 30_000, 'readiness');
    assert.equal(res.body.status, 'ready');
    assert.equal(res.body.redis.ok, true);
    assert.equal(res.body.backend.name, 'cpu');
    assert.equal(res.body.workers.count, 0);
  });

  test('GET /metrics is Prometheus text', async () => {
    await app.api.get('/healthz');
    const res = await app.api.get('/metrics').expect(200);
    assert.match(res.headers['content-type'], /text\/plain/);
    assert.match(res.text, /fewshot_http_request_duration_seconds_bucket\{.*route="\/healthz"/);
    assert.match(res.text, /fewshot_training_jobs\{state="waiting"\}/);
  });

  test('GET /docs serves Swagger UI', async () => {
    const res = await app.api.get('/docs/').expect(200);
    assert.match(res.text, /swagger/i);
  });

  test('unknown routes answer 404 in the error shape', async () => {
    const res = await app.api.get('/v1/nothing').expect(404);
    assertError(res.body, 'not_found');
  });
});

describe('datasets', () => {
  test('JSON examples → 201, then list, get and delete', async () => {
    const examples = [
      { label: 'cat', text: 'meows and purrs' },
      { label: 'cat', text: 'a small cat', vector: [1, 0] },
      { label: 'dog', text: 'barks loudly', image: (await png(200)).toString('base64') },
      { label: 'dog', image: `data:image/png;base64,${(await png(30)).toString('base64')}` },
    ];
    const created = await app.api.post('/v1/datasets').send({ name: 'pets', examples }).expect(201);
    assert.match(created.body.id, /^ds_/);
    assert.equal(created.headers.location, `/v1/datasets/${created.body.id}`);
    assert.ok(created.body.bytes > 0);
    assert.deepEqual(
      { ...created.body, id: undefined, createdAt: undefined, bytes: undefined },
      {
        id: undefined,
        name: 'pets',
        numClasses: 2,
        numExamples: 4,
        modalities: ['image', 'text', 'vector'],
        text: { features: 'tfidf-svd', dim: 256 },
        tenant: 'test-admin',
        createdAt: undefined,
        bytes: undefined,
      },
    );

    const one = await app.api.get(`/v1/datasets/${created.body.id}`).expect(200);
    assert.deepEqual(one.body.classes, [
      { name: 'cat', examples: 2 },
      { name: 'dog', examples: 2 },
    ]);
    assert.deepEqual(one.body.spec.image, { height: 28, width: 28, channels: 1 });
    assert.equal(one.body.key, undefined, 'storage keys stay internal');

    const list = await app.api.get('/v1/datasets').expect(200);
    assert.ok(list.body.datasets.some((d: { id: string }) => d.id === created.body.id));

    await app.api.delete(`/v1/datasets/${created.body.id}`).expect(204);
    assertError((await app.api.get(`/v1/datasets/${created.body.id}`).expect(404)).body, 'not_found');
    assertError((await app.api.delete(`/v1/datasets/${created.body.id}`).expect(404)).body, 'not_found');
  });

  test('NDJSON stream with ?name=', async () => {
    const lines = clusters({ classes: 3, perClass: 4, dim: 5, noise: 0.1, seed: 1 }).map((e) => JSON.stringify(e));
    const res = await app.api
      .post('/v1/datasets?name=streamed')
      .set('content-type', 'application/x-ndjson')
      .send(lines.join('\n') + '\n')
      .expect(201);
    assert.equal(res.body.name, 'streamed');
    assert.equal(res.body.numClasses, 3);
    assert.equal(res.body.numExamples, 12);
    assert.deepEqual(res.body.modalities, ['vector']);
  });

  test('NDJSON: a bad line is a 400 naming it; a missing name is a 400', async () => {
    const bad = await app.api
      .post('/v1/datasets?name=x')
      .set('content-type', 'application/x-ndjson')
      .send('{"label":"a","text":"x"}\n{oops\n')
      .expect(400);
    assertError(bad.body, 'validation_failed');
    assert.match(bad.body.error.message, /line 2/);

    const unnamed = await app.api.post('/v1/datasets').set('content-type', 'application/x-ndjson').send('{"label":"a","text":"x"}\n').expect(400);
    assertError(unnamed.body, 'validation_failed');
  });

  test('zip of class folders of images, resized with the filter asked for', async () => {
    const files: Record<string, Uint8Array> = {};
    for (const [cls, shade] of [['light', 220], ['dark', 20]] as const) {
      for (let i = 0; i < 3; i++) files[`shapes/${cls}/${i}.png`] = await png(shade + i);
    }
    const res = await app.api
      .post('/v1/datasets?name=shades&imageSize=16&channels=3&resize=lanczos')
      .set('content-type', 'application/zip')
      .send(Buffer.from(zipSync(files)))
      .expect(201);
    assert.equal(res.body.numClasses, 2);
    assert.equal(res.body.numExamples, 6);
    const one = await app.api.get(`/v1/datasets/${res.body.id}`).expect(200);
    assert.deepEqual(one.body.spec.image, { height: 16, width: 16, channels: 3, resize: 'lanczos' });
  });

  test('validation errors name the failing fields', async () => {
    const res = await app.api
      .post('/v1/datasets')
      .send({ name: '', examples: [{ label: 'a', txt: 'typo' }] })
      .expect(400);
    assertError(res.body, 'validation_failed');
    const paths = res.body.error.details.map((d: { path: string }) => d.path);
    assert.ok(paths.includes('/name'), JSON.stringify(paths));
    assert.ok(paths.includes('/examples/0'), JSON.stringify(paths));
  });

  test('undecodable images and malformed JSON are 400s, not 500s', async () => {
    const image = await app.api
      .post('/v1/datasets')
      .send({ name: 'x', examples: [{ label: 'a', image: 'bm90IGFuIGltYWdl' }] })
      .expect(400);
    assertError(image.body, 'invalid_data');
    const json = await app.api.post('/v1/datasets').set('content-type', 'application/json').send('{"name":').expect(400);
    assertError(json.body, 'validation_failed');
  });

  test('too large → 413; unknown content type → 415', async () => {
    const big = { name: 'big', examples: [{ label: 'a', text: 'x'.repeat(300 * 1024) }] };
    assertError((await app.api.post('/v1/datasets').send(big).expect(413)).body, 'payload_too_large');
    const ndjson = await app.api
      .post('/v1/datasets?name=big')
      .set('content-type', 'application/x-ndjson')
      .send(`${JSON.stringify(big.examples[0])}\n`)
      .expect(413);
    assertError(ndjson.body, 'payload_too_large');
    const res = await app.api.post('/v1/datasets').set('content-type', 'text/csv').send('label,text\n').expect(415);
    assertError(res.body, 'unsupported_media_type');
  });
});

describe('jobs without a worker', () => {
  let datasetId: string;
  before(async () => {
    // 16 per class: the default episode (1 shot + 15 queries) must fit, or the job is refused (422).
    datasetId = await uploadClusters(app.api, { classes: 6, perClass: 16, dim: 4, noise: 0.1, seed: 2 });
  });

  test('POST /v1/jobs → 202 queued, with defaults filled in', async () => {
    const res = await app.api.post('/v1/jobs').send({ datasetId, algorithm: 'protonet', episode: { ways: 3 } }).expect(202);
    assert.equal(res.body.status, 'queued');
    assert.equal(res.headers.location, `/v1/jobs/${res.body.id}`);
    const job = await app.api.get(`/v1/jobs/${res.body.id}`).expect(200);
    assert.equal(job.body.status, 'queued');
    assert.equal(job.body.algorithm, 'protonet');
    assert.equal(job.body.datasetId, datasetId);
    assert.equal(job.body.progress, null);
    assert.ok(Date.parse(job.body.createdAt));
    const list = await app.api.get('/v1/jobs?status=queued').expect(200);
    assert.ok(list.body.jobs.some((j: { id: string }) => j.id === res.body.id));
    assert.deepEqual((await app.api.get('/v1/jobs?status=completed').expect(200)).body.jobs, []);
  });

  test('Idempotency-Key: a retry returns the same job; another body with the key is a 409', async () => {
    const body = { datasetId, algorithm: 'reptile', episode: { ways: 2 } };
    const first = await app.api.post('/v1/jobs').set('Idempotency-Key', 'retry-1').send(body).expect(202);
    const again = await app.api.post('/v1/jobs').set('Idempotency-Key', 'retry-1').send(body).expect(202);
    assert.equal(again.body.id, first.body.id);
    const other = await app.api
      .post('/v1/jobs')
      .set('Idempotency-Key', 'retry-1')
      .send({ ...body, seed: 7 })
      .expect(409);
    assertError(other.body, 'conflict');
    const fresh = await app.api.post('/v1/jobs').send(body).expect(202);
    assert.notEqual(fresh.body.id, first.body.id);
  });

  test('bad requests: unknown dataset 404, bad algorithm 400, too many ways 400', async () => {
    assertError((await app.api.post('/v1/jobs').send({ datasetId: 'ds_none', algorithm: 'maml' }).expect(404)).body, 'not_found');
    const algorithm = await app.api.post('/v1/jobs').send({ datasetId, algorithm: 'sgd' }).expect(400);
    assertError(algorithm.body, 'validation_failed');
    assert.equal(algorithm.body.error.details[0].path, '/algorithm');
    const ways = await app.api.post('/v1/jobs').send({ datasetId, algorithm: 'maml', episode: { ways: 7 } }).expect(400);
    assert.equal(ways.body.error.details[0].path, '/episode/ways');
  });

  test('a dataset a queued job uses cannot be deleted', async () => {
    assertError((await app.api.delete(`/v1/datasets/${datasetId}`).expect(409)).body, 'conflict');
  });

  test('cancelling a queued job: cancelled at once, events end with it', async () => {
    const { body } = await app.api.post('/v1/jobs').send({ datasetId, algorithm: 'fomaml', episode: { ways: 2 } }).expect(202);
    const cancelled = await app.api.post(`/v1/jobs/${body.id}/cancel`).expect(202);
    assert.equal(cancelled.body.status, 'cancelled');
    assert.ok(cancelled.body.finishedAt);
    await app.api.post(`/v1/jobs/${body.id}/cancel`).expect(202); // idempotent
    const events = await app.api.get(`/v1/jobs/${body.id}/events`).expect(200);
    assert.match(events.headers['content-type'], /text\/event-stream/);
    assert.match(events.text, /^event: done\ndata: \{.*"status":"cancelled"/m);
    assert.ok((await app.api.get('/v1/jobs?status=cancelled').expect(200)).body.jobs.some((j: { id: string }) => j.id === body.id));
  });

  test('unknown jobs are 404 on every route', async () => {
    for (const res of [
      await app.api.get('/v1/jobs/job_none'),
      await app.api.get('/v1/jobs/job_none/events'),
      await app.api.post('/v1/jobs/job_none/cancel'),
    ]) {
      assert.equal(res.status, 404);
      assertError(res.body, 'not_found');
    }
  });
});

describe('models and adaptations (unknown ids)', () => {
  const support = [
    { label: 'a', vector: [1, 2] },
    { label: 'b', vector: [2, 1] },
  ];

  test('GET /v1/models lists nothing yet', async () => {
    assert.deepEqual((await app.api.get('/v1/models').expect(200)).body, { models: [] });
  });

  test('404s', async () => {
    for (const res of [
      await app.api.get('/v1/models/mdl_none'),
      await app.api.delete('/v1/models/mdl_none'),
      await app.api.post('/v1/models/mdl_none/predict').send({ support, queries: [{ vector: [1, 2] }] }),
      await app.api.post('/v1/models/mdl_none/adaptations').send({ support }),
      await app.api.post('/v1/adaptations/ad_none/predict').send({ queries: [{ vector: [1, 2] }] }),
      await app.api.delete('/v1/adaptations/ad_none'),
    ]) {
      assert.equal(res.status, 404, JSON.stringify(res.body));
      assertError(res.body, 'not_found');
    }
  });

  test('predict bodies are validated before anything else', async () => {
    const res = await app.api.post('/v1/models/mdl_none/predict').send({ support: [support[0]], queries: [] }).expect(400);
    const paths = res.body.error.details.map((d: { path: string }) => d.path);
    assert.deepEqual(paths.sort(), ['/queries', '/support']);
  });
});

describe('shutdown', () => {
  test('closing the server ends open job event streams instead of waiting for the job', { timeout: 20_000 }, async () => {
    const own = await testEnv();
    const server = await startApp(own.config);
    try {
      const dataset = await server.api.post('/v1/datasets').send({ name: 'shutdown', examples: clusters({ classes: 3, perClass: 4, dim: 2, noise: 0.3, seed: 1 }) }).expect(201);
      const { body } = await server.api.post('/v1/jobs').send({ datasetId: dataset.body.id, algorithm: 'protonet', episode: { ways: 2, queries: 3 } }).expect(202);
      // No worker runs here, so the job stays queued and its stream would stay open.
      const stream = server.api.get(`/v1/jobs/${body.id}/events`).then((r) => r.text);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const started = Date.now();
      await server.close();
      assert.ok(Date.now() - started < 5000, `close took ${Date.now() - started} ms`);
      assert.match(await stream, /event: progress\ndata: \{.*"status":"queued"/);
    } finally {
      await own.cleanup();
    }
  });
});
