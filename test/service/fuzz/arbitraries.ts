// fast-check arbitraries for requests to the operations of openapi.yaml: bodies that are
// schema-valid but extreme, and invalid ones (wrong types, missing and extra fields, huge
// arrays and strings, NaN/Infinity, bad base64/PNG/JPEG/zip, bombs, deep nesting, wrong
// content types, unknown ids, duplicate and unicode labels).
import fc from 'fast-check';
import { zipSync } from 'fflate';
import { claimSize, pngBomb } from '../../helpers/bombs.js';
import type { ApiSpec, Operation, Schema } from './spec.js';

export interface FuzzRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string | Buffer;
  /** Which strategy made it, for the findings report. */
  kind: string;
}

/** What the harness has set up: ids of real resources, keys, and media to embed. */
export interface FuzzContext {
  ids: { dataset: string; job: string; model: string; adaptation: string; key: string };
  keys: { admin: string; train: string; predict: string };
  /** Width of the trained model's vectors. */
  vectorDim: number;
  /** Base64 PNGs and JPEGs that decode. */
  pngs: string[];
  jpegs: string[];
}

/** Sizes that keep 10,000 requests fast; the extreme cases go past them on purpose. */
const SMALL_ARRAY = 4;
const SMALL_STRING = 24;

const LABELS = ['a', 'b', 'A', 'ａ', 'é', 'e\u0301', '猫', '🐈', 'مرحبا', 'x'.repeat(200), ' a', 'a ', '\u0000', '\u202etxt', 'constructor', '__proto__'];
const UNICODE = fc.constantFrom('', ' ', '\u0000', '\uffff', '\ud800', '🐈‍⬛', 'e\u0301', '\u202e', 'Ω≈ç√', '<script>', '../../etc/passwd', '%00', '${x}');
const EXTREME_NUMBERS = [0, -0, 1, -1, 5e-324, 1e308, -1e308, 2 ** 53, -(2 ** 53), 3.4e38, 1e-45];

function imageArb(ctx: FuzzContext): fc.Arbitrary<string> {
  const png = fc.constantFrom(...ctx.pngs);
  const jpeg = fc.constantFrom(...ctx.jpegs);
  const cut = (b64: string, at: number) => Buffer.from(b64, 'base64').subarray(0, Math.max(1, Math.floor(Buffer.from(b64, 'base64').length * at))).toString('base64');
  return fc.oneof(
    { weight: 6, arbitrary: png },
    { weight: 2, arbitrary: jpeg },
    png.map((b) => `data:image/png;base64,${b}`),
    fc.tuple(png, fc.double({ min: 0, max: 0.99, noNaN: true })).map(([b, at]) => cut(b, at)),
    fc.tuple(jpeg, fc.double({ min: 0, max: 0.99, noNaN: true })).map(([b, at]) => cut(b, at)),
    fc.constantFrom(pngBomb(60_000).toString('base64'), pngBomb(5_001).toString('base64'), `data:image/png;base64,${pngBomb(40_000).toString('base64')}`),
    fc.constantFrom('not base64!', '====', 'data:image/png,raw', 'data:;base64,', 'AAAA', '/9j/', 'iVBORw0KGgo='),
    fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString('base64')),
    fc.constantFrom(Buffer.from(zipSync({ 'x.png': Buffer.from(ctx.pngs[0], 'base64') })).toString('base64')),
  );
}

function vectorArb(ctx: FuzzContext): fc.Arbitrary<number[]> {
  const finite = fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 });
  const extreme = fc.constantFrom(...EXTREME_NUMBERS);
  return fc.oneof(
    { weight: 12, arbitrary: fc.array(finite, { minLength: ctx.vectorDim, maxLength: ctx.vectorDim }) },
    { weight: 3, arbitrary: fc.array(extreme, { minLength: ctx.vectorDim, maxLength: ctx.vectorDim }) },
    { weight: 3, arbitrary: fc.array(finite, { minLength: 1, maxLength: 12 }) },
    { weight: 1, arbitrary: fc.constant(Array.from({ length: 100_000 }, (_, i) => i % 7)) },
  );
}

/** Values for fields whose meaning matters more than their schema: labels, images, vectors, text. */
function fieldArb(name: string, ctx: FuzzContext): fc.Arbitrary<unknown> | null {
  switch (name) {
    case 'label':
      return fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...LABELS) }, fc.string({ minLength: 1, maxLength: 8, unit: 'binary' }));
    case 'image':
      return imageArb(ctx);
    case 'vector':
      return vectorArb(ctx);
    case 'text':
      return fc.oneof(
        { weight: 8, arbitrary: fc.string({ maxLength: 40 }) },
        { weight: 4, arbitrary: fc.string({ maxLength: 40, unit: 'binary' }) },
        { weight: 4, arbitrary: UNICODE },
        { weight: 1, arbitrary: fc.constant('word '.repeat(20_000)) },
      );
    case 'datasetId':
      return fc.constantFrom(ctx.ids.dataset, 'ds_unknown', '');
    default:
      return null;
  }
}

type Arb = fc.Arbitrary<unknown>;

/** Schema-valid values (extremes included), for JSON bodies and query parameters. */
export function schemaArb(spec: ApiSpec, ctx: FuzzContext, input: Schema, depth = 0, field = ''): Arb {
  const special = fieldArb(field, ctx);
  if (special) return special;
  const schema = spec.resolve(input);
  if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]));
  if ('const' in schema) return fc.constant(schema.const);
  const options = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
  if (options) return fc.oneof(...options.map((o) => schemaArb(spec, ctx, o, depth, field)));
  switch (schema.type) {
    case 'string': {
      if (typeof schema.pattern === 'string') return fc.stringMatching(new RegExp(schema.pattern));
      const minLength = (schema.minLength as number | undefined) ?? 0;
      const maxLength = (schema.maxLength as number | undefined) ?? 10_000;
      return fc.oneof(
        { weight: 6, arbitrary: fc.string({ minLength, maxLength: Math.max(minLength, Math.min(maxLength, SMALL_STRING)) }) },
        fc.string({ minLength, maxLength: Math.max(minLength, Math.min(maxLength, SMALL_STRING)), unit: 'binary' }),
        fc.constant('x'.repeat(Math.min(maxLength, 200_000))),
      );
    }
    case 'integer':
    case 'number': {
      const integer = schema.type === 'integer';
      const low = (schema.minimum as number | undefined) ?? ((schema.exclusiveMinimum as number | undefined) ?? -1e9);
      const high = (schema.maximum as number | undefined) ?? ((schema.exclusiveMaximum as number | undefined) ?? 1e9);
      const inside = (v: number) =>
        v >= low && v <= high && v !== schema.exclusiveMinimum && v !== schema.exclusiveMaximum && (!integer || Number.isInteger(v));
      const bounds = [low, high, low + 1, high - 1, 0, 1].filter(inside);
      const range = integer
        ? fc.integer({ min: Math.ceil(Math.max(low, -(2 ** 31))), max: Math.floor(Math.min(high, 2 ** 31)) })
        : fc.double({ min: low, max: high, noNaN: true, noDefaultInfinity: true }).filter(inside);
      return bounds.length ? fc.oneof(range, fc.constantFrom(...bounds)) : range;
    }
    case 'boolean':
      return fc.boolean();
    case 'array': {
      const items = schemaArb(spec, ctx, (schema.items as Schema) ?? {}, depth + 1, field === 'support' || field === 'queries' || field === 'examples' ? '' : field);
      const minLength = (schema.minItems as number | undefined) ?? 0;
      const maxLength = (schema.maxItems as number | undefined) ?? 1000;
      const small = fc.array(items, { minLength, maxLength: Math.max(minLength, Math.min(maxLength, depth > 1 ? 2 : SMALL_ARRAY)) });
      const large = Math.min(maxLength, 100);
      return depth > 0 ? small : fc.oneof({ weight: 20, arbitrary: small }, fc.array(items, { minLength: large, maxLength: large }));
    }
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, Schema>;
      const model = Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, schemaArb(spec, ctx, v, depth + 1, k)]));
      return fc.record(model, { requiredKeys: (schema.required as string[] | undefined) ?? [] });
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

const WRONG_TYPES: unknown[] = [null, true, 0, -1, 1.5, '', 'string', [], [null], {}, { a: 1 }, 'x'.repeat(300_000)];

/** A copy of `value` with one thing broken at a random place: a field dropped, added, or of the wrong type. */
function mutate(value: unknown, choice: number, pick: number): unknown {
  const paths: (string | number)[][] = [];
  const walk = (v: unknown, path: (string | number)[]) => {
    paths.push(path);
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i]));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
  };
  walk(value, []);
  const path = paths[pick % paths.length];
  const copy = structuredClone(value);
  const parentPath = path.slice(0, -1);
  const parent = parentPath.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], copy) as Record<string | number, unknown> | undefined;
  const key = path[path.length - 1];
  const wrong = WRONG_TYPES[choice % WRONG_TYPES.length];
  if (!parent || key === undefined) return choice % 2 ? wrong : { unexpected: wrong };
  switch (choice % 3) {
    case 0:
      if (Array.isArray(parent)) parent.splice(Number(key), 1);
      else delete parent[key];
      return copy;
    case 1:
      if (Array.isArray(parent)) parent.push(wrong);
      else parent[`extra_${choice}`] = wrong;
      return copy;
    default:
      parent[key] = wrong;
      return copy;
  }
}

/** JSON text a parser must refuse or survive: NaN/Infinity tokens, deep nesting, truncation, garbage. */
function hostileJson(valid: string): fc.Arbitrary<string> {
  const numberAt = /-?\d+(\.\d+)?([eE][+-]?\d+)?/;
  return fc.oneof(
    fc.constantFrom('NaN', 'Infinity', '-Infinity', '1e999', '-1e999', '1e-999', '0x10', '01', '.5', '+1').map((token) =>
      numberAt.test(valid) ? valid.replace(numberAt, token) : `{"x":${token}}`,
    ),
    fc.integer({ min: 1, max: 200_000 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth)),
    fc.integer({ min: 1, max: 50_000 }).map((depth) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)),
    fc.integer({ min: 0, max: Math.max(0, valid.length - 1) }).map((at) => valid.slice(0, at)),
    fc.constantFrom('', ' ', 'null', '[]', '"x"', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{}}}', '{}{}', '\ufeff{}', '{"a":1,"a":2}'),
    fc.string({ maxLength: 64, unit: 'binary' }),
  );
}

const WRONG_CONTENT_TYPES = [
  'text/plain',
  'application/xml',
  'multipart/form-data; boundary=x',
  'application/x-www-form-urlencoded',
  'application/json; charset=utf-16',
  'application/octet-stream',
  'image/png',
  'application/zip',
  'application/x-ndjson',
  '',
  'application/json, text/plain',
];

function zipArb(ctx: FuzzContext): fc.Arbitrary<Buffer> {
  const png = Buffer.from(ctx.pngs[0], 'base64');
  const files = (classes: number, per: number) =>
    Object.fromEntries(
      Array.from({ length: classes * per }, (_, i) => [`root/c${i % classes}/${i}.png`, Buffer.from(ctx.pngs[i % ctx.pngs.length], 'base64')]),
    );
  const valid = Buffer.from(zipSync(files(2, 2)));
  return fc.oneof(
    fc.constant(valid),
    fc.integer({ min: 0, max: valid.length - 1 }).map((at) => valid.subarray(0, at)),
    fc.constant(claimSize(zipSync(files(2, 2)), 0xfffffff0)),
    fc.constant(Buffer.from(zipSync({ 'a/x.png': Buffer.from('not a png'), 'b/y.png': png }))),
    fc.constant(Buffer.from(zipSync({ 'x.png': png, 'y.png': png }))),
    fc.constant(Buffer.from(zipSync({ 'notes.txt': Buffer.from('hello') }))),
    fc.constant(Buffer.from(zipSync({ 'a/x.png': pngBomb(50_000), 'b/y.png': png }))),
    fc.uint8Array({ maxLength: 256 }).map((b) => Buffer.from(b)),
  );
}

function idArb(op: Operation, ctx: FuzzContext): fc.Arbitrary<string> {
  const resource = op.path.split('/')[2];
  const known: Record<string, string> = {
    datasets: ctx.ids.dataset,
    jobs: ctx.ids.job,
    models: ctx.ids.model,
    adaptations: ctx.ids.adaptation,
    keys: ctx.ids.key,
  };
  const weird = fc.oneof(
    fc.constantFrom('mdl_00000000', 'job_ffffffff', 'ds_0', 'x'.repeat(101), '..', '%2e%2e%2f', '\u0000', '🐈', 'a b', '%', '?', '#'),
    fc.string({ minLength: 1, maxLength: 20, unit: 'binary' }),
  );
  // Deleting the harness's own resources would leave the rest of the run with only 404s.
  if (op.method === 'DELETE') return weird;
  return fc.oneof({ weight: 6, arbitrary: fc.constant(known[resource] ?? 'unknown') }, weird);
}

/** Percent-encodes the UTF-8 of `s` (lone surrogates become U+FFFD, as on the wire). */
const encode = (s: string) => [...Buffer.from(s, 'utf8')].map((b) => (/[A-Za-z0-9._~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).padStart(2, '0').toUpperCase()}`)).join('');

function queryArb(spec: ApiSpec, ctx: FuzzContext, op: Operation): fc.Arbitrary<string> {
  const params = op.parameters.filter((p) => p.in === 'query');
  const junk = fc.oneof(UNICODE, fc.constantFrom('-1', '1e9', 'NaN', 'Infinity', '0x1', '[]', 'true', '1.5', ''));
  const pairs = params.map((p) =>
    fc.option(fc.tuple(fc.constant(p.name), fc.oneof({ weight: 3, arbitrary: schemaArb(spec, ctx, p.schema).map(String) }, junk)), { nil: undefined }),
  );
  const extra = fc.option(fc.tuple(fc.constantFrom('unknown', 'name[]', '__proto__', 'limit'), junk), { freq: 8, nil: undefined });
  return fc.tuple(fc.tuple(...pairs), extra).map(([chosen, more]) => {
    const all = [...chosen, more].filter((p): p is [string, string] => p !== undefined);
    return all.length ? `?${all.map(([k, v]) => `${encode(k)}=${encode(v)}`).join('&')}` : '';
  });
}

function authArb(ctx: FuzzContext): fc.Arbitrary<Record<string, string>> {
  const bad: Record<string, string>[] = [
    { authorization: 'Bearer ' },
    { authorization: 'Basic eDp5' },
    { authorization: `Bearer ${'k'.repeat(5000)}` },
    { 'x-api-key': 'fsk_nope' },
    { cookie: 'fewshot_key=%zz' },
  ];
  return fc.oneof(
    { weight: 12, arbitrary: fc.constant<Record<string, string>>({ authorization: `Bearer ${ctx.keys.admin}` }) },
    fc.constant<Record<string, string>>({ authorization: `Bearer ${ctx.keys.train}` }),
    fc.constant<Record<string, string>>({ authorization: `Bearer ${ctx.keys.predict}` }),
    fc.constant<Record<string, string>>({}),
    fc.constantFrom(...bad),
  );
}

interface Body {
  payload?: string | Buffer;
  contentType?: string;
  kind: string;
}

function bodyArb(spec: ApiSpec, ctx: FuzzContext, op: Operation): fc.Arbitrary<Body> {
  const types = Object.keys(op.bodies);
  if (types.length === 0) {
    return fc.oneof({ weight: 8, arbitrary: fc.constant<Body>({ kind: 'no body' }) }, fc.constant<Body>({ payload: '{"a":1}', contentType: 'application/json', kind: 'unexpected body' }));
  }
  const json = op.bodies['application/json'];
  const valid = schemaArb(spec, ctx, json);
  const strategies: fc.Arbitrary<Body>[] = [
    valid.map((v) => ({ payload: JSON.stringify(v), contentType: 'application/json', kind: 'schema-valid' })),
    fc.tuple(valid, fc.nat(), fc.nat()).map(([v, c, p]) => ({ payload: JSON.stringify(mutate(v, c, p)) ?? 'null', contentType: 'application/json', kind: 'mutated' })),
    valid.chain((v) => hostileJson(JSON.stringify(v))).map((text) => ({ payload: text, contentType: 'application/json', kind: 'hostile JSON' })),
    fc.tuple(valid, fc.constantFrom(...WRONG_CONTENT_TYPES)).map(([v, type]) => ({ payload: JSON.stringify(v), contentType: type || undefined, kind: `content type '${type}'` })),
  ];
  const weights = [6, 6, 3, 2];
  const ndjson = op.bodies['application/x-ndjson'];
  if (ndjson) {
    const example = schemaArb(spec, ctx, spec.resolve(ndjson).items as Schema);
    strategies.push(
      fc.array(fc.oneof(example.map((e) => JSON.stringify(e)), example.chain((e) => hostileJson(JSON.stringify(e)))), { minLength: 0, maxLength: 6 }).map((lines) => ({
        payload: lines.join('\n'),
        contentType: 'application/x-ndjson',
        kind: 'NDJSON',
      })),
    );
    weights.push(3);
  }
  if (op.bodies['application/zip']) {
    strategies.push(zipArb(ctx).map((zip) => ({ payload: zip, contentType: 'application/zip', kind: 'zip' })));
    weights.push(3);
  }
  return fc.oneof(...strategies.map((arbitrary, i) => ({ weight: weights[i], arbitrary })));
}

/** Requests for `op`; its {id} from real resources, unknown and malformed ids. */
export function requestArb(spec: ApiSpec, ctx: FuzzContext, op: Operation): fc.Arbitrary<FuzzRequest> {
  const headerParams = op.parameters.filter((p) => p.in === 'header');
  const extraHeaders = fc.record(
    Object.fromEntries(headerParams.map((p) => [p.name, fc.oneof(schemaArb(spec, ctx, p.schema).map(String), fc.constantFrom('x'.repeat(300), ' '))])),
    { requiredKeys: [] },
  );
  return fc
    .tuple(idArb(op, ctx), queryArb(spec, ctx, op), authArb(ctx), bodyArb(spec, ctx, op), extraHeaders)
    .map(([id, query, auth, body, headers]) => ({
      method: op.method,
      url: op.path.replace('{id}', encode(id)) + query,
      headers: { ...headers, ...auth, ...(body.contentType !== undefined ? { 'content-type': body.contentType } : {}) } as Record<string, string>,
      ...(body.payload !== undefined ? { payload: body.payload } : {}),
      kind: body.kind,
    }));
}

/** Methods and paths no operation has: the not-found answer must keep the error shape too. */
export function strayArb(ctx: FuzzContext): fc.Arbitrary<FuzzRequest> {
  return fc
    .tuple(fc.constantFrom('PUT', 'PATCH', 'OPTIONS', 'HEAD', 'GET', 'DELETE'), fc.constantFrom('/v1/datasets', '/v1/models/x/predict', '/v1', '/v2/jobs', '/v1/jobs/x/y/z', `/v1/${'a/'.repeat(300)}`, '/%', '/v1/%E0%A4%A'))
    .map(([method, url]) => ({ method, url, headers: { authorization: `Bearer ${ctx.keys.admin}` }, kind: 'stray route' }));
}
