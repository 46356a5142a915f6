// Backend selection as a fresh process sees it: auto walks CUDA, hardware WebGPU, libtensorflow
// on the CPU, wasm, then plain JS, and says why it skipped each faster one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

interface Selected {
  name: string;
  device: string | null;
  skipped: { backend: string; reason: string }[];
}

function select(preference: string): Selected {
  const child = spawnSync(process.execPath, ['--import', 'tsx', 'test/fixtures/backend-probe.ts'], {
    env: { ...process.env, PREFERENCE: preference },
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(child.status, 0, child.stderr.slice(-2000));
  return JSON.parse(child.stdout.trim().split('\n').at(-1)!) as Selected;
}

const AUTO_ORDER = [/^tensorflow \(CUDA/, /^webgpu$/, /^tensorflow \(CPU/, /^wasm$/, /^cpu$/];

test('auto takes the first backend that starts, in the documented order, with reasons for the rest', () => {
  const selected = select('auto');
  selected.skipped.forEach((s, i) => {
    assert.match(s.backend, AUTO_ORDER[i]);
    assert.ok(s.reason.length > 0);
  });
  const next = AUTO_ORDER[selected.skipped.length];
  assert.match(selected.name === 'tensorflow' ? `tensorflow (${selected.device?.startsWith('CUDA') ? 'CUDA' : 'CPU'}` : selected.name, next);
  assert.ok(selected.device);
});

test('a named backend is used as asked', () => {
  const selected = select('cpu');
  assert.equal(selected.name, 'cpu');
  assert.deepEqual(selected.skipped, []);
});
