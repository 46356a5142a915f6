// Stage "adapter" of bench/gpu/run.sh: is tfjs's WebGPU backend on the hardware GPU? Registers
// the backend through the engine's own Dawn set-up, refuses a software adapter unless
// --allow-software (the dry run on lavapipe), checks one matmul against the cpu backend and
// times a large one. Prints one JSON line; exits 1 when the adapter is unusable.
//   tsx bench/gpu/adapter.ts [--allow-software]
import { parseArgs } from 'node:util';
import '@tensorflow/tfjs-backend-cpu';
import { tf } from '../../src/core/tensor/tf.js';
import { enableWebGpu } from '../../src/core/tensor/webgpu.js';

const { values } = parseArgs({ options: { 'allow-software': { type: 'boolean', default: false } } });

async function product(backend: string, a: Float32Array, b: Float32Array, n: number): Promise<Float32Array> {
  await tf.setBackend(backend);
  const result = tf.tidy(() => tf.matMul(tf.tensor2d(a, [n, n]), tf.tensor2d(b, [n, n])));
  const values = (await result.data()) as Float32Array;
  result.dispose();
  return values;
}

async function main() {
  tf.enableProdMode();
  const adapter = await enableWebGpu(values['allow-software']);
  const n = 256;
  const a = Float32Array.from({ length: n * n }, (_, i) => Math.sin(i));
  const b = Float32Array.from({ length: n * n }, (_, i) => Math.cos(i));
  const gpu = await product('webgpu', a, b, n);
  const cpu = await product('cpu', a, b, n);
  const maxAbsDiff = gpu.reduce((m, x, i) => Math.max(m, Math.abs(x - cpu[i])), 0);

  await tf.setBackend('webgpu');
  const big = values['allow-software'] ? 512 : 4096;
  const x = tf.randomNormal([big, big]);
  const reps = 5;
  await tf.matMul(x, x).data(); // compiles the shader
  const started = performance.now();
  const outputs = Array.from({ length: reps }, () => tf.matMul(x, x));
  await outputs[reps - 1].data();
  const seconds = (performance.now() - started) / 1000;
  tf.dispose([x, ...outputs]);
  const report = {
    ok: maxAbsDiff < 1e-2,
    adapter,
    software: adapter.endsWith('(software)'),
    matmulCheck: { n, maxAbsDiff },
    matmul: { n: big, reps, tflops: (2 * big ** 3 * reps) / seconds / 1e12 },
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
  process.exit(report.ok ? 0 : 1);
}

main().catch((error: unknown) => {
  process.stdout.write(`${JSON.stringify({ ok: false, error: (error as Error).message })}\n`);
  process.exit(1);
});
