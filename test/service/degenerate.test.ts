// Degenerate data is refused when it arrives or when the job is created, never by a worker
// that fails later: too-small classes, splits that cannot fill an episode, oversized models,
// uninformative modalities, NaN, zip bombs and PNG decompression bombs. And hostile input the
// fuzzer found answers in the one error shape, never a 500.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { zipSync } from 'fflate';
import sharp from 'sharp';
import { claimSize, pngBomb } from '../helpers/bombs.js';
import { startApp, testEnv, type TestApp, type TestEnv } from './helpers.js';

/** `perClass[i]` examples of class c<i>, vectors around a per-class centre. */
const examples = (perClass: number[]) =>
  perClass.flatMap((n, c) => Array.from({ length: n }, (_, i) => ({ label: `c${c}`, vector: [c, i / 10, (c * i) % 3] })));

const job = (datasetId: string, extra: object = {}) => ({
  datasetId,
  algorithm: 'protonet',
  model: { hidden: [8] },
  episode: { ways: 3, shots: 2, queries: 2 },
  outer: { iterations: 1, metaBatchSize: 1 },
  ...extra,
});

describe('degenerate and hostile input refused up front', () => {
  let env: TestEnv;
  let t: TestApp;
  const upload = (body: object) => t.api.post('/v1/datasets').send(body);
  const datasetOf = async (perClass: number[]) => (await upload({ name: 'd', examples: examples(perClass) }).expect(201)).body.id as string;
  const assertNoServerPath = (message: string) => {
    assert.ok(!message.includes(env.config.dataDir) && !/\/tmp\//.test(message), `message names a server path: ${message}`);
  };

  before(async () => {
    env = await testEnv();
    t = await startApp(env.config);
  });
  after(async () => {
    await t.close();
    await env.cleanup();
  });

  test('classes smaller than shots + queries are left out and counted in the job record', async () => {
    // c0..c7 have 6 examples, c8 and c9 only 2; 2 shots + 2 queries need 4.
    const id = await datasetOf([6, 6, 6, 6, 6, 6, 6, 6, 2, 2]);
    const created = await t.api.post('/v1/jobs').send(job(id, { split: { train: 0.8, validation: 0, test: 0.2 } })).expect(202);
    const record = (await t.api.get(`/v1/jobs/${created.body.id}`).expect(200)).body;
    const { sampling } = record;
    assert.equal(sampling.examplesPerClass, 4);
    assert.equal(sampling.train.classes + sampling.validation.classes + sampling.test.classes, 10);
    assert.equal(sampling.train.excluded + sampling.validation.excluded + sampling.test.excluded, 2);
    assert.deepEqual(sampling.excludedClasses.map((c: { name: string }) => c.name).sort(), ['c8', 'c9']);
    assert.ok(sampling.excludedClasses.every((c: { examples: number }) => c.examples === 2));
  });

  test('a split that cannot form one episode is a 422 naming the classes and numbers', async () => {
    const id = await datasetOf([3, 3, 3, 3, 3]);
    const res = await t.api.post('/v1/jobs').send(job(id)).expect(422);
    assert.equal(res.body.error.code, 'degenerate_data');
    assert.match(res.body.error.message, /train split cannot form one 3-way episode/);
    assert.match(res.body.error.message, /4 examples each needs \(2 shots \+ 2 queries\)/);
    assert.match(res.body.error.message, /'c\d' \(3\)/);
    assert.equal(res.body.error.details.split, 'train');

  });

  test('a single class is refused at job creation', async () => {
    const id = await datasetOf([8]);
    const res = await t.api.post('/v1/jobs').send(job(id, { episode: { ways: 2, shots: 1, queries: 1 } }));
    assert.ok([400, 422].includes(res.status), `status ${res.status}`);
    assert.match(res.body.error.message, /classes/);
  });

  test('a model beyond the parameter budget is a 422 naming the field; the default is accepted', async () => {
    const id = await datasetOf([6, 6, 6, 6, 6, 6, 6, 6]);
    const res = await t.api.post('/v1/jobs').send(job(id, { model: { hidden: Array(8).fill(8192) } })).expect(422);
    assert.equal(res.body.error.code, 'model_too_large');
    assert.match(res.body.error.message, /model\.hidden/);
    assert.ok(res.body.error.details.parameters > res.body.error.details.limit);
    await t.api.post('/v1/jobs').send(job(id, { model: {}, split: { train: 0.75, validation: 0, test: 0.25 } })).expect(202);
  });

  test('constant images, all-empty texts and identical vectors are refused at upload, naming the modality', async () => {
    const flat = (await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 9, g: 9, b: 9 } } }).png().toBuffer()).toString('base64');
    const images = await upload({ name: 'flat', examples: [{ label: 'a', image: flat }, { label: 'b', image: flat }] }).expect(422);
    assert.equal(images.body.error.code, 'degenerate_data');
    assert.match(images.body.error.message, /^image: every image is the same/);

    const texts = await upload({ name: 'empty', examples: [{ label: 'a', text: '' }, { label: 'b', text: '  ' }] }).expect(422);
    assert.match(texts.body.error.message, /^text: every text is empty/);

    const vectors = await upload({ name: 'same', examples: [{ label: 'a', vector: [1, 2] }, { label: 'b', vector: [1, 2] }] }).expect(422);
    assert.match(vectors.body.error.message, /^vector: every vector is the same/);
  });

  test('NaN and Infinity in vectors are a 400, as JSON tokens, overflowing numbers and NDJSON', async () => {
    const send = (body: string, type = 'application/json') => t.api.post('/v1/datasets?name=n').set('content-type', type).send(body);
    for (const token of ['NaN', 'Infinity', '-Infinity', '1e999']) {
      const res = await send(`{"name":"n","examples":[{"label":"a","vector":[1,${token}]},{"label":"b","vector":[2,3]}]}`);
      assert.equal(res.status, 400, `${token}: ${res.status} ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, 'validation_failed');
      const ndjson = await send(`{"label":"a","vector":[1,${token}]}\n{"label":"b","vector":[2,3]}\n`, 'application/x-ndjson');
      assert.equal(ndjson.status, 400, `NDJSON ${token}: ${ndjson.status}`);
    }
  });

  test('a PNG decompression bomb is refused from its header', async () => {
    const bomb = pngBomb(30_000, 30_000).toString('base64');
    const res = await upload({ name: 'bomb', examples: [{ label: 'a', image: bomb }, { label: 'b', image: bomb }] }).expect(400);
    assert.match(res.body.error.message, /example 0: cannot decode PNG: 30000x30000 exceeds the pixel limit/);
  });

  test('a zip bomb is refused from its directory, naming no server path', async () => {
    const png = await sharp({ create: { width: 4, height: 4, channels: 3, background: { r: 3, g: 3, b: 3 } } }).png().toBuffer();
    const zip = zipSync({ 'a/1.png': png, 'b/1.png': png, 'b/2.png': png });
    const res = await t.api.post('/v1/datasets?name=bomb').set('content-type', 'application/zip').send(claimSize(zip, 400 * 1024 * 1024)).expect(413);
    assert.equal(res.body.error.code, 'too_large');
    assertNoServerPath(res.body.error.message);

    const truncated = await t.api.post('/v1/datasets?name=cut').set('content-type', 'application/zip').send(Buffer.from(zip).subarray(0, 60)).expect(400);
    assertNoServerPath(truncated.body.error.message);
    const empty = await t.api.post('/v1/datasets?name=none').set('content-type', 'application/zip').send(Buffer.from(zipSync({ 'readme.txt': Buffer.from('x') }))).expect(400);
    assertNoServerPath(empty.body.error.message);
  });

  test('many tiny images at a large imageSize are refused before they are decoded into memory', async () => {
    const png = (await sharp({ create: { width: 1, height: 1, channels: 3, background: { r: 3, g: 3, b: 3 } } }).png().toBuffer()).toString('base64');
    const many = Array.from({ length: 800 }, (_, i) => ({ label: `c${i % 2}`, image: png }));
    const res = await t.api.post('/v1/datasets?imageSize=512&channels=3').send({ name: 'big', examples: many }).expect(413);
    assert.equal(res.body.error.code, 'too_large');
    assert.match(res.body.error.message, /imageSize/);
  });

  const inject = (opts: { method?: string; url: string; headers?: Record<string, string>; payload?: string }) =>
    t.app.inject({ method: (opts.method ?? 'GET') as 'GET', url: opts.url, headers: opts.headers, payload: opts.payload });
  const admin = () => ({ authorization: `Bearer ${t.adminKey}` });

  // Regressions the fuzzer found, each pinned by a plain request.
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
