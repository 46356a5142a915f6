// The GPU check (bench/gpu) runs only on rare GPU leases, so what can be checked without a GPU
// is checked here: the carried module list holds what Node will load there and nothing of other
// platforms, the script parses, and the summary reads a run's files into the targets table.
// The whole script is rehearsed by `bash bench/gpu/run.sh --dry-run` (bench/gpu/README.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const tsx = (script: string, ...args: string[]) =>
  execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, script), ...args], { cwd: ROOT, encoding: 'utf8' });

test('the carried module list holds every entry point the GPU stages load, and no other platform', () => {
  const files = new Set(tsx('bench/gpu/module-closure.ts').split('\n').filter(Boolean));
  const require = createRequire(join(ROOT, 'package.json'));
  for (const name of ['tsx', '@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-webgpu', 'webgpu', 'fflate', 'sharp', 'ml-matrix', 'lru-cache', 'p-limit']) {
    assert.ok(files.has(relative(ROOT, require.resolve(name))), `${name}'s entry point is carried`);
  }
  assert.ok(files.has('node_modules/@tensorflow/tfjs-core/dist/register_all_gradients.js'), 'the gradients tf.ts requires');
  assert.ok(files.has('node_modules/webgpu/dist/linux-x64/dawn.node'), "Dawn's linux-x64 binding");
  assert.ok(files.has('node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'), 'the wasm binary');
  const stray = [...files].filter((f) => /darwin|win32|linux-arm64|\.map$|\.d\.ts$/.test(f));
  assert.deepEqual(stray, []);
});

test('run.sh parses and refuses to start without the carried folder', async () => {
  assert.equal(spawnSync('bash', ['-n', join(ROOT, 'bench/gpu/run.sh')]).status, 0);
  const tree = await mkdtemp(join(tmpdir(), 'fewshot-gpu-kit-'));
  try {
    execFileSync('mkdir', ['-p', join(tree, 'bench/gpu')]);
    execFileSync('cp', [join(ROOT, 'bench/gpu/run.sh'), join(tree, 'bench/gpu/run.sh')]);
    const run = spawnSync('bash', [join(tree, 'bench/gpu/run.sh')], { encoding: 'utf8' });
    assert.equal(run.status, 2);
    assert.match(run.stderr, /bench\/gpu\/\.carry is missing: run bash bench\/gpu\/prepare\.sh/);
  } finally {
    await rm(tree, { recursive: true, force: true });
  }
});

test("the summary reads a run's files into stage, test and throughput tables with the targets", async () => {
  const out = await mkdtemp(join(tmpdir(), 'fewshot-gpu-out-'));
  try {
    await writeFile(join(out, 'stages.tsv'), 'adapter\tok\t3\nw1-maml\tok\t40\nw1-fomaml\ttimed out\t100\n');
    await writeFile(join(out, 'tests.log'), '# tests 5\n# pass 4\n# fail 1\n# skipped 0\n');
    const cell = (algo: string, ours: number | null, reference: number) => ({
      workload: 'conv4',
      algo,
      metaBatch: 32,
      warmup: 1,
      iters: 3,
      ours:
        ours === null
          ? { value: null, error: 'node bench/throughput-cell.ts … timed out after 1200 s' }
          : { value: { backend: 'webgpu', device: 'NVIDIA H200', taskBatch: 14, medianSeconds: ours, tensorsBefore: 42, tensorsAfter: 42, peakRssMiB: 900 } },
      reference: { value: { median_s: reference } },
      ratio: ours === null ? null : reference / ours,
    });
    const results = [
      { stage: 'adapter', report: { ok: true, adapter: 'nvidia NVIDIA H200', software: false, matmul: { n: 4096, tflops: 21.5 } } },
      { stage: 'w1-maml', report: { throughput: [cell('maml', 0.4, 0.48)] } },
      { stage: 'w1-fomaml', report: { throughput: [cell('fomaml', null, 0.21)] } },
    ];
    await writeFile(join(out, 'results.jsonl'), results.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const summary = tsx('bench/gpu/summary.ts', out);
    assert.match(summary, /w1-fomaml\s+timed out\s+100/);
    assert.match(summary, /Adapter: nvidia NVIDIA H200; 4096² float32 matMul 21\.50 TFLOP\/s/);
    assert.match(summary, /webgpu tests: 4 passed, 1 failed, 0 skipped/);
    assert.match(summary, /w1-maml\s+conv4\/maml\s+32\s+14\s+0\.4000\s+0\.4800\s+1\.20×\s+≤ 0\.48 s: met/);
    assert.match(summary, /w1-fomaml\s+conv4\/fomaml\s+32\s+-\s+failed: …\S.*timed out after 1200 s\s+0\.2100\s+-\s+≤ 0\.21 s: missed/);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});
