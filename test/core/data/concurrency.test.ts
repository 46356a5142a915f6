import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { mapLimit } from '../../../src/core/data/concurrency.js';

test('mapLimit keeps input order with at most `limit` calls pending', async () => {
  let pending = 0;
  let most = 0;
  const out = await mapLimit([5, 1, 4, 2, 3, 0], 2, async (ms, i) => {
    most = Math.max(most, ++pending);
    await sleep(ms);
    pending--;
    return `${i}:${ms}`;
  });
  assert.deepEqual(out, ['0:5', '1:1', '2:4', '3:2', '4:3', '5:0']);
  assert.equal(most, 2);
});

test('mapLimit rejects with the first failure and starts nothing after it', async () => {
  const started: number[] = [];
  await assert.rejects(
    mapLimit([0, 1, 2, 3, 4, 5], 2, async (i) => {
      started.push(i);
      await sleep(1);
      if (i === 1) throw new Error('item 1 failed');
      return i;
    }),
    /item 1 failed/,
  );
  await sleep(20);
  assert.deepEqual(started, [0, 1, 2]);
});
