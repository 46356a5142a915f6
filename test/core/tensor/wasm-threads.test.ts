// The multi-threaded wasm build runs in Node (tfjs disables it there; wasm-threads.ts works
// around that) and computes exactly what the single-threaded build computes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

function run(threads: number): { threads: number; device: string; hash: string } {
  const child = spawnSync(process.execPath, ['--import', 'tsx', 'test/fixtures/wasm-threads-probe.ts'], {
    env: { ...process.env, THREADS: String(threads) },
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(child.status, 0, child.stderr.slice(-2000));
  return JSON.parse(child.stdout.trim().split('\n').at(-1)!);
}

test('two wasm threads run in Node and give bit-identical results', () => {
  const single = run(1);
  const threaded = run(2);
  assert.equal(single.threads, 1);
  assert.equal(threaded.threads, 2);
  assert.match(threaded.device, /2 threads/);
  assert.equal(threaded.hash, single.hash);
});
