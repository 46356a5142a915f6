// The native-kernel candidates side by side on W1's and W2's kernels: tfjs-wasm, our oneDNN
// addon (through the native tfjs backend), onnxruntime-node, PyTorch and, for matmuls,
// OpenBLAS (numpy; `apt-get install -y libopenblas0-pthread`). Each candidate runs in its own process (two threads each; their thread
// pools would compete in one), median ms of 30 runs after 3 warm-ups.
//   npx tsx bench/kernel-candidates.ts [--ort DIR]
// --ort: a folder where onnxruntime-node is installed (it is not a dependency of the project:
//   `npm install --ignore-scripts onnxruntime-node` in a scratch folder; its install script
//   would download CUDA parts). Without it that column is skipped.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Tensor } from '../src/core/tensor/tf.js';
import { formatTable } from './table.js';

interface Shape {
  name: string;
  kind: 'conv' | 'matmul';
  /** What the engine runs for it on the native backend (conv: forward or one of its gradients). */
  native?: 'forward' | 'input-gradient' | 'filter-gradient';
  n: number; c: number; h: number; w: number; o: number; kh: number; kw: number; pad: number;
  batch: number; m: number; k: number;
  flops: number;
}

const conv = (name: string, n: number, c: number, h: number, o: number, k: number, pad: number, native: Shape['native']): Shape => ({
  name, kind: 'conv', native, n, c, h, w: h, o, kh: k, kw: k, pad, batch: 0, m: 0, k: 0,
  flops: 2 * n * o * (h + 2 * pad - k + 1) ** 2 * c * k * k,
});
const matmul = (name: string, batch: number, m: number, k: number, n: number): Shape => ({
  name, kind: 'matmul', batch, m, k, n, c: 0, h: 0, w: 0, o: 0, kh: 0, kw: 0, pad: 0, flops: 2 * batch * m * k * n,
});

// W1: conv4 at 5-way 1-shot + 15 queries = 80 images; 3×3, 64 filters. The two gradients of
// the 14×14 layer as the engine's 'valid' family computes them from forward convolutions only
// (the form every candidate but ours can run): the input gradient is a forward convolution of
// the same size; the filter gradient one of xᵀ (64 "images" of 80 channels) with a 14×14 kernel.
const SHAPES: Shape[] = [
  conv('w1-conv 1×28×28', 80, 1, 28, 64, 3, 1, 'forward'),
  conv('w1-conv 64×14×14', 80, 64, 14, 64, 3, 1, 'forward'),
  conv('w1-conv 64×7×7', 80, 64, 7, 64, 3, 1, 'forward'),
  conv('w1-conv 64×3×3', 80, 64, 3, 64, 3, 1, 'forward'),
  conv('w1-dx 64×14×14', 80, 64, 14, 64, 3, 1, 'input-gradient'),
  conv('w1-dw 64×14×14', 64, 80, 16, 64, 14, 0, 'filter-gradient'),
  matmul('w2 [80,256]·[256,128]', 1, 80, 256, 128),
  matmul('w2 32×[80,256]·[256,128]', 32, 80, 256, 128),
  matmul('w2 32×[80,128]·[128,5]', 32, 80, 128, 5),
];

const { values } = parseArgs({ options: { candidate: { type: 'string' }, ort: { type: 'string' }, models: { type: 'string' } } });

async function median(f: () => unknown | Promise<unknown>, n = 30): Promise<number> {
  for (let i = 0; i < 3; i++) await f();
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    await f();
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b)[n >> 1];
}

const random = (size: number) => Float32Array.from({ length: size }, () => Math.random() - 0.5);

/** One candidate, in this process: prints {name: ms}. */
async function measureHere(candidate: string): Promise<void> {
  const result: Record<string, number> = {};
  if (candidate === 'ort') {
    const ort = createRequire(join(values.ort!, 'package.json'))('onnxruntime-node');
    for (const s of SHAPES) {
      const session = await ort.InferenceSession.create(join(values.models!, `${s.name}.onnx`), { intraOpNumThreads: 2, interOpNumThreads: 1 });
      const [a, b] = s.kind === 'conv' ? [[s.n, s.c, s.h, s.w], [s.o, s.c, s.kh, s.kw]] : [[s.batch, s.m, s.k], [s.batch, s.k, s.n]];
      const size = (d: number[]) => d.reduce((x, y) => x * y, 1);
      const feeds = { a: new ort.Tensor('float32', random(size(a)), a), b: new ort.Tensor('float32', random(size(b)), b) };
      result[s.name] = await median(() => session.run(feeds));
    }
  } else {
    const { initBackend } = await import('../src/core/tensor/backend.js');
    const { tf } = await import('../src/core/tensor/tf.js');
    await initBackend(candidate as 'wasm' | 'native', { wasmThreads: 2, nativeThreads: 2 });
    for (const s of SHAPES) {
      if (s.kind === 'matmul') {
        const a = tf.tensor3d(random(s.batch * s.m * s.k), [s.batch, s.m, s.k]);
        const b = tf.tensor3d(random(s.k * s.n), [1, s.k, s.n]);
        const bb = s.batch === 1 ? b : tf.tile(b, [s.batch, 1, 1]);
        result[s.name] = await median(() => tf.tidy(() => tf.matMul(a, bb)).dispose());
        continue;
      }
      const out = s.h + 2 * s.pad - s.kh + 1;
      const x = tf.tensor4d(random(s.n * s.h * s.w * s.c), [s.n, s.h, s.w, s.c]);
      const w = tf.tensor4d(random(s.kh * s.kw * s.c * s.o), [s.kh, s.kw, s.c, s.o]);
      const dy = tf.tensor4d(random(s.n * out * out * s.o), [s.n, out, out, s.o]);
      const same = { strides: 1, pad: 'same', dataFormat: 'NHWC', dimRoundingMode: undefined };
      // The filter gradient as its own primitive: x [80,14,14,64], dy [80,14,14,64] → [3,3,64,64].
      const [images, hw, channels] = [s.c, s.h - 2, s.n];
      const xi = tf.tensor4d(random(images * hw * hw * channels), [images, hw, hw, channels]);
      const gi = tf.tensor4d(random(images * hw * hw * s.o), [images, hw, hw, s.o]);
      const run = (): Tensor => {
        if (candidate === 'native' && s.native === 'input-gradient') {
          return tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, { ...same, inputShape: [s.n, s.h, s.w, s.c] } as never) as Tensor;
        }
        if (candidate === 'native' && s.native === 'filter-gradient') {
          return tf.engine().runKernel('Conv2DBackpropFilter', { x: xi, dy: gi }, { ...same, filterShape: [3, 3, channels, s.o] } as never) as Tensor;
        }
        return tf.conv2d(x, w, 1, s.pad ? 'same' : 'valid');
      };
      result[s.name] = await median(() => run().dispose());
    }
  }
  console.log(JSON.stringify(result));
}

// OpenBLAS through numpy (Debian's numpy uses the BLAS that libopenblas provides).
const NUMPY = `
import json, sys, time
import numpy as np
out = {}
for s in json.loads(sys.argv[1]):
    a = np.random.rand(s['batch'], s['m'], s['k']).astype(np.float32)
    b = np.random.rand(s['k'], s['n']).astype(np.float32)
    for _ in range(3): np.matmul(a, b)
    t = []
    for _ in range(30):
        start = time.perf_counter(); np.matmul(a, b); t.append((time.perf_counter() - start) * 1000)
    out[s['name']] = sorted(t)[15]
print(json.dumps(out))
`;

// numpy (and PyTorch) use whichever BLAS provides libblas.so.3; this column asks for OpenBLAS
// (Debian's libopenblas0-pthread) whatever that is.
const OPENBLAS = { LD_LIBRARY_PATH: '/usr/lib/x86_64-linux-gnu/openblas-pthread' };

function child(args: string[], command = process.execPath, extra: Record<string, string> = {}): Record<string, number> | string {
  // PyTorch as the reference bench runs it (libgomp's spin-waiting stalls 2-thread runs here).
  const env = { ...process.env, OMP_NUM_THREADS: '2', OMP_WAIT_POLICY: 'PASSIVE', OPENBLAS_NUM_THREADS: '2', ...extra };
  const run = spawnSync(command, args, { encoding: 'utf8', env });
  if (run.status !== 0) return `failed: ${run.stderr.trim().split('\n').at(-1)}`;
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as Record<string, number>;
}

if (values.candidate) {
  await measureHere(values.candidate);
} else {
  const models = mkdtempSync(join(tmpdir(), 'fewshot-onnx-'));
  const started = loadavg()[0];
  const python = ['bench/kernel_candidates.py', JSON.stringify(SHAPES), '--onnx', models];
  const columns: [string, Record<string, number> | string][] = [
    ['tfjs-wasm', child(['--import', 'tsx', 'bench/kernel-candidates.ts', '--candidate', 'wasm'])],
    ['ours (oneDNN)', child(['--import', 'tsx', 'bench/kernel-candidates.ts', '--candidate', 'native'])],
    ['PyTorch', child(python, '/usr/bin/python3')],
    ['OpenBLAS (numpy)', child(['-c', NUMPY, JSON.stringify(SHAPES.filter((s) => s.kind === 'matmul'))], '/usr/bin/python3', OPENBLAS)],
  ];
  if (values.ort) columns.splice(2, 0, ['onnxruntime-node', child(['--import', 'tsx', 'bench/kernel-candidates.ts', '--candidate', 'ort', '--ort', values.ort, '--models', models])]);
  rmSync(models, { recursive: true, force: true });
  const cell = (column: Record<string, number> | string, s: Shape) => {
    if (typeof column === 'string') return column;
    const ms = column[s.name];
    return ms === undefined ? '-' : `${ms.toFixed(2)} (${(s.flops / ms / 1e6).toFixed(0)})`;
  };
  process.stdout.write(
    `ms per call, median of 30 (GFLOP/s); 2 threads each; load average ${started.toFixed(1)} → ${loadavg()[0].toFixed(1)}\n` +
      formatTable(['kernel', ...columns.map(([name]) => name)], SHAPES.map((s) => [s.name, ...columns.map(([, column]) => cell(column, s))])),
  );
}
