// Backend selection as a fresh process sees it: auto walks CUDA, hardware WebGPU, our native CPU
// kernels, libtensorflow on the CPU, wasm, then plain JS, and says why it skipped each faster one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BackendInfo } from '../../../src/core/tensor/backend.js';
import { nativeUnavailable } from '../../helpers/backend.js';

interface Selected extends BackendInfo {
  fallback: string | null;
}

function select(preference: string, env: NodeJS.ProcessEnv = {}): Selected {
  const child = spawnSync(process.execPath, ['--import', 'tsx', 'test/fixtures/backend-probe.ts'], {
    env: { ...process.env, ...env, PREFERENCE: preference },
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(child.status, 0, child.stderr.slice(-2000));
  return JSON.parse(child.stdout.trim().split('\n').at(-1)!) as Selected;
}

const AUTO_ORDER = [/^tensorflow \(CUDA/, /^webgpu$/, /^native$/, /^tensorflow \(CPU/, /^wasm$/, /^cpu$/];

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

test('where the native kernels are built, auto runs on them (no GPU here)', { skip: (await nativeUnavailable()) ?? false }, () => {
  const selected = select('auto');
  if (selected.name === 'webgpu' || selected.device?.startsWith('CUDA')) return; // a GPU comes first
  assert.equal(selected.name, 'native');
  assert.match(selected.device ?? '', /^CPU via oneDNN \d+\.\d+\.\d+ \(.+, \d+ threads?\)$/);
  assert.equal(selected.fallback, null);
});

test('an install that could not build the native kernels falls back to wasm with one line saying why', () => {
  const build = mkdtempSync(join(tmpdir(), 'fewshot-native-'));
  try {
    // What `npm ci` runs, on a machine without a C++ compiler: it says why and succeeds.
    const install = spawnSync(process.execPath, ['native/build.mjs'], {
      env: { ...process.env, FEWSHOT_NATIVE_BUILD_DIR: build, CXX: join(build, 'no-such-compiler') },
      encoding: 'utf8',
    });
    assert.equal(install.status, 0, install.stderr);
    assert.equal(install.stdout.trim().split('\n').length, 1, install.stdout);
    assert.match(install.stdout, /native kernels not built: no C\+\+ compiler .*apt-get install -y g\+\+ libdnnl-dev/);
    assert.match(readFileSync(join(build, 'skipped.txt'), 'utf8'), /no C\+\+ compiler/);

    const selected = select('auto', { FEWSHOT_NATIVE_BUILD_DIR: build });
    assert.notEqual(selected.name, 'native');
    if (selected.name !== 'wasm') return; // a GPU or libtensorflow comes first
    assert.match(selected.skipped.find((s) => s.backend === 'native')?.reason ?? '', /native kernels not built: no C\+\+ compiler/);
    assert.match(selected.fallback ?? '', /^native kernels not built: no C\+\+ compiler .*; running on wasm$/);
    assert.equal(selected.fallback?.split('\n').length, 1);
  } finally {
    rmSync(build, { recursive: true, force: true });
  }
});
