import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreError } from '../../../src/core/errors.js';
import { loadDataset, saveDataset } from '../../../src/core/data/dataset-file.js';
import { gaussianClusters, multimodalClusters } from '../../../src/core/data/synthetic.js';
import { buildDataset } from '../../../src/core/data/raw-examples.js';

const invalid = (pattern: RegExp) => (error: unknown) =>
  error instanceof CoreError && error.code === 'invalid_data' && pattern.test(error.message);

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'fewshot-dsfile-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('a multimodal dataset survives a save/load round trip exactly', () =>
  withDir(async (dir) => {
    const ds = multimodalClusters({ classes: 3, perClass: 4, size: 8, dim: 5, text: true, missing: 0.5, seed: 3 });
    const path = join(dir, 'mm.fsds');
    await saveDataset(path, ds);
    const back = await loadDataset(path);
    assert.equal(back.name, ds.name);
    assert.deepEqual(back.classNames, ds.classNames);
    assert.deepEqual(back.labels, ds.labels);
    assert.deepEqual(back.rows, ds.rows);
  }));

test('text is stored as raw text with the dataset\'s text features choice, and its hashed features come back', () =>
  withDir(async (dir) => {
    const examples = Array.from({ length: 40 }, (_, i) => ({ label: `c${i % 4}`, text: `headline number ${i} about topic ${i % 4}` }));
    const ds = await buildDataset('news', [...examples, { label: 'c0', vector: [1] }], { text: { features: 'hashing', dim: 2048 } });
    const path = join(dir, 'news.fsds');
    await saveDataset(path, ds);
    const back = await loadDataset(path);
    assert.deepEqual(back.texts, ds.texts);
    assert.equal(back.texts?.[40], '');
    assert.deepEqual(back.textFeatures, { features: 'hashing', dim: 2048 });
    assert.deepEqual(back.rows, ds.rows);
    const bytes = (await readFile(path)).length;
    assert.ok(bytes < 41 * 2048, `${bytes} bytes: far less than the ${41 * 2048 * 4} bytes of hashed floats`);
  }));

test('files from before raw text (version 1, hashed text floats) still load', () =>
  withDir(async (dir) => {
    const { texts: _none, ...ds } = multimodalClusters({ classes: 2, perClass: 3, size: 8, dim: 3, text: true, missing: 0, seed: 2 });
    const path = join(dir, 'v1.fsds');
    await saveDataset(path, ds);
    const file = await readFile(path);
    const headerLength = file.readUInt32LE(8);
    const header = JSON.parse(file.subarray(12, 12 + headerLength).toString());
    assert.ok(header.arrays.some((a: { name: string }) => a.name === 'text'));
    const json = Buffer.from(JSON.stringify({ ...header, version: 1 }));
    const length = Buffer.alloc(4);
    length.writeUInt32LE(json.length);
    await writeFile(path, Buffer.concat([file.subarray(0, 8), length, json, file.subarray(12 + headerLength)]));
    const back = await loadDataset(path);
    assert.deepEqual(back.rows, ds.rows);
    assert.equal(back.texts, undefined);
  }));

test('corruption is detected: checksum, truncation, magic, header', () =>
  withDir(async (dir) => {
    const path = join(dir, 'g.fsds');
    await saveDataset(path, gaussianClusters({ classes: 2, perClass: 3, dim: 4, noise: 0.1, seed: 1 }));
    const good = await readFile(path);

    const flipped = Buffer.from(good);
    flipped[flipped.length - 5] ^= 0xff; // inside the labels array
    await writeFile(path, flipped);
    await assert.rejects(loadDataset(path), invalid(/checksum mismatch/));

    await writeFile(path, good.subarray(0, good.length - 4));
    await assert.rejects(loadDataset(path), invalid(/payload is \d+ bytes/));

    const badMagic = Buffer.from(good);
    badMagic[0] = 0;
    await writeFile(path, badMagic);
    await assert.rejects(loadDataset(path), invalid(/bad magic/));

    const headerLength = good.readUInt32LE(8);
    const header = JSON.parse(good.subarray(12, 12 + headerLength).toString());
    header.n += 1;
    const json = Buffer.from(JSON.stringify(header));
    const length = Buffer.alloc(4);
    length.writeUInt32LE(json.length);
    await writeFile(path, Buffer.concat([good.subarray(0, 8), length, json, good.subarray(12 + headerLength)]));
    await assert.rejects(loadDataset(path), invalid(/array table does not match/));
  }));

test('saving is atomic: the old file stays whole on failure and no temp file is left', () =>
  withDir(async (dir) => {
    const path = join(dir, 'd.fsds');
    const first = gaussianClusters({ classes: 2, perClass: 2, dim: 3, noise: 0.1, seed: 1 });
    const second = gaussianClusters({ classes: 3, perClass: 2, dim: 3, noise: 0.1, seed: 2 });
    await saveDataset(path, first);
    await saveDataset(path, second); // replaces
    assert.deepEqual((await loadDataset(path)).rows, second.rows);
    assert.deepEqual(await readdir(dir), ['d.fsds']);

    // The rename onto a directory fails after the temp file was written: it must be cleaned up.
    const blocked = join(dir, 'blocked');
    await mkdir(join(blocked, 'inside'), { recursive: true });
    await assert.rejects(saveDataset(blocked, first));
    assert.deepEqual((await readdir(dir)).sort(), ['blocked', 'd.fsds']);
    assert.deepEqual((await loadDataset(path)).rows, second.rows);
  }));

test('a dataset whose arrays disagree with its spec is refused before writing', () =>
  withDir(async (dir) => {
    const ds = gaussianClusters({ classes: 2, perClass: 2, dim: 3, noise: 0.1, seed: 1 });
    const broken = { ...ds, rows: { ...ds.rows, vector: new Float32Array(5) } };
    await assert.rejects(saveDataset(join(dir, 'x.fsds'), broken), invalid(/do not match the spec/));
    assert.deepEqual(await readdir(dir), []);
  }));
