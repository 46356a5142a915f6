import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCheckpoint, writeCheckpoint, type ManifestFields } from '../../../src/core/checkpoint/checkpoint.js';
import { defaultTrainConfig } from '../../../src/core/config.js';
import { CoreError } from '../../../src/core/errors.js';
import type { ParamSpec } from '../../../src/core/models/params.js';

const specs: ParamSpec[] = [
  { name: 'a.w', shape: [2, 3], init: 'he' },
  { name: 'a.b', shape: [3], init: 'zeros' },
];
const fields: ManifestFields = {
  iteration: 7,
  config: defaultTrainConfig(),
  spec: { vector: { dim: 2 } },
  dataset: { name: 'd', classNames: ['x', 'y'] },
  split: { train: [], validation: [], test: [] },
  metrics: { loss: 1, accuracy: 0.5, validationAccuracy: null, bestValidationAccuracy: null, bestIteration: null },
  rng: { sampler: [1, 2, 3, 4] },
  evaluation: null,
  backend: 'cpu',
};
const values = [Float32Array.from([1, 2, 3, 4, 5, 6]), Float32Array.from([0.5, -0.5, 1e-7])];
const optimizer = { kind: 'adam' as const, step: 3, slots: [...values, ...values].map((v) => v.map((x) => x * 2)) };

async function withCheckpoint(fn: (path: string, dir: string) => Promise<void>) {
  const dir = await mkdtemp(join(tmpdir(), 'fewshot-ckpt-'));
  try {
    const path = await writeCheckpoint(dir, 'ckpt-1', fields, specs.map((spec, i) => ({ spec, values: values[i] })), optimizer);
    await fn(path, dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('a checkpoint round-trips weights, optimiser state and manifest exactly', () =>
  withCheckpoint(async (path, dir) => {
    const data = await readCheckpoint(path, specs);
    assert.deepEqual(data.params, values);
    assert.deepEqual(data.optimizer, optimizer);
    assert.equal(data.manifest.iteration, 7);
    assert.deepEqual(data.manifest.rng.sampler, [1, 2, 3, 4]);
    assert.deepEqual(await readdir(dir), ['ckpt-1'], 'no temporary files are left behind');
  }));

async function expectInvalid(path: string, pattern: RegExp, expected = specs) {
  await assert.rejects(readCheckpoint(path, expected), (e: unknown) => {
    assert.ok(e instanceof CoreError);
    assert.equal(e.code, 'checkpoint_invalid');
    assert.match(e.message, pattern);
    return true;
  });
}

test('a flipped byte in the weights fails the checksum', () =>
  withCheckpoint(async (path) => {
    const file = join(path, 'weights.bin');
    const bytes = await readFile(file);
    bytes[5] ^= 0xff;
    await writeFile(file, bytes);
    await expectInvalid(path, /weights\.bin fails its sha256 checksum/);
  }));

test('a truncated optimiser file is named', () =>
  withCheckpoint(async (path) => {
    const file = join(path, 'optimizer.bin');
    await writeFile(file, (await readFile(file)).subarray(0, 8));
    await expectInvalid(path, /optimizer\.bin has 8 bytes, the manifest says 72/);
  }));

test('a shape mismatch names the parameter', () =>
  withCheckpoint(async (path) => {
    await expectInvalid(path, /parameter 0 is a\.w \[2,3\], the model expects a\.w \[3,3\]/, [
      { name: 'a.w', shape: [3, 3], init: 'he' },
      specs[1],
    ]);
  }));

test('a missing manifest or file is named', () =>
  withCheckpoint(async (path) => {
    await rm(join(path, 'weights.bin'));
    await expectInvalid(path, /weights\.bin is missing/);
    await rm(join(path, 'manifest.json'));
    await expectInvalid(path, /manifest\.json is missing/);
  }));
