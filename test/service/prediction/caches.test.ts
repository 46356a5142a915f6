// The prediction process's caches release what their entries hold: eviction, replacement,
// deletion and an adaptation's expiry each dispose the adapted task, and a model leaving takes
// its adaptations with it.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import type { AdaptedTask, Predictor } from '../../../src/service/core.js';
import { modelCaches, type Adapted } from '../../../src/service/prediction/caches.js';

const disposed: string[] = [];
const task = (name: string): AdaptedTask => ({ ways: 2, predict: async () => new Float32Array(), dispose: () => disposed.push(name) });
const adapted = (modelId: string, name: string): Adapted => ({ modelId, labels: ['a', 'b'], task: task(name) });
const predictor = (name: string) => ({ dispose: () => disposed.push(name) }) as unknown as Predictor;
const later = Date.now() + 60_000;

test('the least recently used adaptation is evicted and disposed; a replaced one is disposed too', () => {
  disposed.length = 0;
  const caches = modelCaches({ models: 2, adaptations: 2 });
  caches.keep('a1', adapted('m', 'a1'), later);
  caches.keep('a2', adapted('m', 'a2'), later);
  assert.ok(caches.adaptations.get('a1')); // a1 is now the most recently used
  caches.keep('a3', adapted('m', 'a3'), later);
  assert.deepEqual(disposed, ['a2']);
  assert.equal(caches.adaptations.get('a2'), undefined);
  caches.keep('a1', adapted('m', 'a1 again'), later);
  assert.deepEqual(disposed, ['a2', 'a1']);
  assert.ok(caches.adaptations.delete('a3'));
  assert.deepEqual(disposed, ['a2', 'a1', 'a3']);
});

test('an adaptation past its expiry is gone and disposed, whether read or purged', async () => {
  disposed.length = 0;
  const caches = modelCaches({ models: 2, adaptations: 4 });
  caches.keep('read', adapted('m', 'read'), Date.now() + 30);
  caches.keep('purged', adapted('m', 'purged'), Date.now() + 30);
  caches.keep('past', adapted('m', 'past'), Date.now() - 1000);
  caches.keep('kept', adapted('m', 'kept'), later);
  assert.ok(caches.adaptations.get('read'));
  await sleep(60);
  assert.equal(caches.adaptations.get('read'), undefined);
  assert.equal(caches.adaptations.get('past'), undefined);
  caches.adaptations.purgeStale();
  assert.deepEqual(disposed.sort(), ['past', 'purged', 'read']);
  assert.ok(caches.adaptations.get('kept'));
});

test('a model is loaded once, and evicting it disposes it with its adaptations', async () => {
  disposed.length = 0;
  const caches = modelCaches({ models: 1, adaptations: 4 });
  let loads = 0;
  const load = (name: string) => async () => {
    loads++;
    return predictor(name);
  };
  const first = await caches.predictor('m1', load('m1'));
  assert.equal(await caches.predictor('m1', load('m1')), first);
  assert.equal(loads, 1);
  caches.keep('on-m1', adapted('m1', 'on-m1'), later);
  caches.keep('on-m2', adapted('m2', 'on-m2'), later);
  await caches.predictor('m2', load('m2'));
  await sleep(0); // the predictor is disposed once its load has settled
  assert.deepEqual(disposed, ['on-m1', 'm1']);
  assert.equal(caches.adaptations.get('on-m1'), undefined);
  assert.ok(caches.adaptations.get('on-m2'));
});

test('a failed load is not kept: the next request loads again', async () => {
  const caches = modelCaches({ models: 2, adaptations: 2 });
  await assert.rejects(caches.predictor('m', async () => Promise.reject(new Error('no such checkpoint'))), /no such checkpoint/);
  await sleep(0);
  assert.equal(caches.predictors.has('m'), false);
  const p = predictor('m');
  assert.equal(await caches.predictor('m', async () => p), p);
});
