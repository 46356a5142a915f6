// The engine on tfjs's WebGPU backend (Dawn). Without a GPU this runs on Mesa's CPU Vulkan
// driver (lavapipe), which .ci/run installs; where no adapter exists the tests skip and say why.
// They guard the tfjs-webgpu 4.22 bugs the probe met: cast(bool -> float32) keeping an int
// buffer (a later rank-6 reduction reads garbage) and rank-6 `where`. Our max-pool gradient
// is exactly such a rank-6 masked computation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '@tensorflow/tfjs-backend-cpu';
import { tf, type Tensor, type Tensor4D } from '../../../src/core/tensor/tf.js';
import { enableWebGpu } from '../../../src/core/tensor/webgpu.js';
import { maxPool2 } from '../../../src/core/tensor/ops.js';
import { crossEntropy } from '../../../src/core/tensor/ops.js';
import { buildNetwork } from '../../../src/core/models/network.js';
import { maml } from '../../../src/core/learners/maml.js';
import { sgdSteps, taskLogits } from '../../../src/core/learners/fast-weights.js';
import { disposeTaskTensors, queryPart, toTaskTensors } from '../../../src/core/learners/task.js';
import { trainRun } from '../../../src/core/training/run.js';
import { loadPredictor } from '../../../src/core/adaptation/predictor.js';
import { tinyImages } from '../../../src/core/data/synthetic.js';
import { gatherRows } from '../../../src/core/episodes/gather.js';
import { Random } from '../../../src/core/random.js';
import { randomEpisode } from '../../helpers/random-episode.js';
import { checkGradient } from '../../helpers/gradcheck.js';
import { tinyConfig, withTempDir } from '../../helpers/runs.js';

async function webgpuUnavailable(): Promise<string | false> {
  tf.enableProdMode();
  try {
    const device = await enableWebGpu(true);
    if (!(await tf.setBackend('webgpu'))) return 'tf.setBackend("webgpu") failed';
    console.log(`# webgpu adapter: ${device}`);
    return false;
  } catch (error) {
    return `no WebGPU adapter: ${(error as Error).message}`;
  }
}

const skip = await webgpuUnavailable();

async function on<T>(backend: string, fn: () => Promise<T> | T): Promise<T> {
  await tf.setBackend(backend);
  try {
    return await fn();
  } finally {
    await tf.setBackend('webgpu');
  }
}

async function values(t: Tensor): Promise<Float32Array> {
  const v = Float32Array.from(await t.data());
  t.dispose();
  return v;
}

function assertClose(a: Float32Array, b: Float32Array, tolerance: number, what: string) {
  assert.equal(a.length, b.length);
  const worst = a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);
  assert.ok(worst <= tolerance, `${what}: max |webgpu - cpu| = ${worst}`);
}

test('max-pool gradients of first and second order match the cpu backend', { skip }, async () => {
  const rng = new Random(5);
  const data = Float32Array.from({ length: 2 * 6 * 6 * 3 }, () => Math.round(rng.normal() * 4) / 4); // ties on purpose
  const probe = Float32Array.from({ length: 2 * 3 * 3 * 3 }, () => rng.normal());
  const run = async () => {
    const x = tf.tensor4d(data, [2, 6, 6, 3]);
    const w = tf.tensor4d(probe, [2, 3, 3, 3]);
    // d/dx of sum(w * d/dx sum(pool(x)^2)): second order through the mask
    const g = tf.grad((input: Tensor) => {
      const inner = tf.grad((y: Tensor) => tf.sum(tf.square(maxPool2(y as Tensor4D))))(input);
      return tf.sum(tf.mul(inner, tf.tile(w, [1, 2, 2, 1])));
    })(x);
    const first = tf.grad((y: Tensor) => tf.sum(tf.mul(maxPool2(y as Tensor4D), w)))(x);
    const result = [await values(maxPool2(x)), await values(first), await values(g)];
    tf.dispose([x, w]);
    return result;
  };
  const gpu = await run();
  const cpu = await on('cpu', run);
  ['forward', 'first order', 'second order'].forEach((what, i) => assertClose(gpu[i], cpu[i], 1e-5, what));
});

for (const c of [
  { name: 'mlp', spec: { vector: { dim: 8 } }, hidden: [10], steps: 2 },
  { name: 'conv4', spec: { image: { height: 16, width: 16, channels: 1 } }, hidden: [], steps: 1 },
]) {
  test(`second-order MAML matches finite differences on webgpu: ${c.name}`, { skip }, async () => {
    const network = buildNetwork(c.spec, { filters: 3, hidden: c.hidden, fusionDim: 4 }, 3);
    const params = network.init(new Random(3));
    const task = toTaskTensors(randomEpisode(c.spec, { ways: 3, shots: 1, queries: 2 }, 11));
    const inner = { steps: c.steps, lr: 0.3 };
    const metaLoss = async (weights: Tensor[]) =>
      (
        await values(
          tf.tidy(() => {
            const fast = sgdSteps(network, weights, task.support, task.supportTargets, inner.steps, inner.lr);
            return crossEntropy(queryPart(taskLogits(network, fast, task.all, task.supportRows, 3), 1, task.supportRows), task.queryTargets);
          }),
        )
      )[0];
    const result = maml(network, inner, false).metaGradient(params, task);
    const check = await checkGradient(metaLoss, params, result.grads);
    assert.ok(check.maxRelativeError <= 1e-2, `max relative error ${check.maxRelativeError}`);
    tf.dispose([...params, ...result.grads, result.loss, result.predicted]);
    disposeTaskTensors(task);
  });
}

test('a short training run on webgpu checkpoints weights that predict the same on cpu', { skip }, async () => {
  const images = tinyImages({ classes: 8, perClass: 6, size: 16, seed: 2 });
  await withTempDir(async (dir) => {
    const result = await trainRun({
      dataset: images,
      config: tinyConfig({ algorithm: 'fomaml', outer: { iterations: 3, metaBatchSize: 2, lr: 1e-3 }, evaluation: { episodes: 2, baselines: false } }),
      dir,
    });
    assert.equal(result.status, 'completed');
    const support = gatherRows(images.rows, [0, 6, 12]);
    const query = gatherRows(images.rows, [1, 7, 13, 2]);
    const predict = async () => {
      const predictor = await loadPredictor(result.bestCheckpoint);
      const task = predictor.adapt(support, Int32Array.from([0, 1, 2]), 3);
      const p = await task.predict(query);
      task.dispose();
      predictor.dispose();
      return p;
    };
    assertClose(await predict(), await on('cpu', predict), 1e-4, 'probabilities');
  });
});

test('the stacked-task equivalence and predictor tests pass on webgpu', { skip, timeout: 600_000 }, async (t) => {
  // Those suites pick their backend at start-up, so they run in a child process of their own.
  const { spawnSync } = await import('node:child_process');
  const files = ['test/core/learners/vectorised.test.ts', 'test/core/adaptation/predictor.test.ts'];
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=dot', ...files], {
    env: { ...process.env, FEWSHOT_TEST_BACKEND: 'webgpu' },
    encoding: 'utf8',
  });
  if (child.status !== 0) t.diagnostic(`${child.stdout}\n${child.stderr}`.slice(-4000));
  assert.equal(child.status, 0, 'the webgpu run of those suites failed');
});
