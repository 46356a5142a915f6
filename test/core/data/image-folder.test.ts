import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, writeFile, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { zipSync } from 'fflate';
import { CoreError } from '../../../src/core/errors.js';
import { loadDataset, saveDataset } from '../../../src/core/data/dataset-file.js';
import { loadImageFolder } from '../../../src/core/data/image-folder.js';

const gray = (level: number) =>
  sharp({ create: { width: 6, height: 6, channels: 3, background: { r: level, g: level, b: level } } }).png().toBuffer();

/** Omniglot-like tree: `<alphabet>/<character>/<file>`, one gray level per image, plus junk to skip. */
async function tree(): Promise<Record<string, Uint8Array>> {
  return {
    'alpha/char02/b.png': await gray(40),
    'alpha/char02/a.png': await gray(20),
    'alpha/char01/a.png': await gray(0),
    'alpha/char01/b.jpg': await sharp(await gray(255)).jpeg().toBuffer(),
    'beta/char01/a.png': await gray(60),
    'beta/char01/.hidden.png': await gray(1),
    'beta/notes.txt': new TextEncoder().encode('not an image'),
  };
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'fewshot-folder-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function writeTree(root: string, files: Record<string, Uint8Array>): Promise<void> {
  for (const [path, bytes] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), bytes);
  }
}

function zipOf(files: Record<string, Uint8Array>, top: string): Uint8Array {
  const entries = Object.fromEntries(Object.entries(files).map(([path, bytes]) => [`${top}/${path}`, bytes]));
  return zipSync({ ...entries, '__MACOSX/alpha/char01/._a.png': new Uint8Array([0, 1, 2]) });
}

test('a directory and a zip of it import to the same classes, rows and pixels', () =>
  withDir(async (dir) => {
    const files = await tree();
    await writeTree(join(dir, 'set'), files);
    await writeFile(join(dir, 'set.zip'), zipOf(files, 'set'));
    const opts = { imageSize: 4 };
    const fromDir = await loadImageFolder(join(dir, 'set'), opts);
    const fromZip = await loadImageFolder(join(dir, 'set.zip'), opts);

    assert.equal(fromZip.name, 'set');
    assert.deepEqual(fromDir.classNames, ['alpha/char01', 'alpha/char02', 'beta/char01']);
    assert.deepEqual([...fromDir.labels], [0, 0, 1, 1, 2]);
    assert.deepEqual(fromDir.rows.spec, { image: { height: 4, width: 4, channels: 1 } });
    assert.deepEqual([...fromDir.rows.present.image!], [1, 1, 1, 1, 1]);
    // Rows sorted by (class, file): a.png (0), b.jpg (255), a.png (20), b.png (40), a.png (60).
    const means = Array.from({ length: 5 }, (_, i) => fromDir.rows.image!.subarray(i * 16, (i + 1) * 16).reduce((a, b) => a + b) / 16);
    [0, 255, 20, 40, 60].forEach((level, i) => assert.ok(Math.abs(means[i] - level / 255) < 0.01, `row ${i}: ${means[i]}`));

    assert.deepEqual(fromZip.classNames, fromDir.classNames);
    assert.deepEqual(fromZip.labels, fromDir.labels);
    assert.deepEqual(fromZip.rows, fromDir.rows);
  }));

test('inverting and RGB are options; loose images and empty sources are errors', () =>
  withDir(async (dir) => {
    await writeTree(join(dir, 'pets'), { 'cat/x.png': await gray(51) });
    const rgb = await loadImageFolder(join(dir, 'pets'), { imageSize: 2, channels: 3, invert: true });
    assert.deepEqual(rgb.classNames, ['cat']); // one class folder is not mistaken for a wrapper folder
    assert.deepEqual(rgb.rows.spec, { image: { height: 2, width: 2, channels: 3, invert: true } });
    assert.ok(rgb.rows.image!.every((v) => Math.abs(v - 0.8) < 1e-6));

    await writeTree(join(dir, 'loose'), { 'x.png': await gray(0) });
    await assert.rejects(loadImageFolder(join(dir, 'loose')), (e) => e instanceof CoreError && /not inside a class folder/.test(e.message));
    await mkdir(join(dir, 'empty'));
    await assert.rejects(loadImageFolder(join(dir, 'empty')), (e) => e instanceof CoreError && /no images/.test(e.message));
    await assert.rejects(loadImageFolder(join(dir, 'missing')), (e) => e instanceof CoreError && /does not exist/.test(e.message));
  }));

test('the cache file is written, reused, and replaced when the source changes', () =>
  withDir(async (dir) => {
    const files = await tree();
    const zip = join(dir, 'set.zip');
    const cacheDir = join(dir, 'cache');
    await writeFile(zip, zipOf(files, 'set'));
    const opts = { imageSize: 4, cacheDir };
    const first = await loadImageFolder(zip, opts);
    const cached = await readdir(cacheDir);
    assert.equal(cached.length, 1);
    const cachePath = join(cacheDir, cached[0]);
    assert.deepEqual((await loadDataset(cachePath)).rows, first.rows);

    // Mark the cached copy: the next load must come from it, not from the zip.
    await saveDataset(cachePath, { ...first, name: 'from-cache' });
    const second = await loadImageFolder(zip, opts);
    assert.equal(second.name, 'from-cache');
    assert.deepEqual(second.rows, first.rows);

    // Other options, other cache entry.
    await loadImageFolder(zip, { ...opts, invert: true });
    assert.equal((await readdir(cacheDir)).length, 2);

    // A corrupt cache entry is rebuilt, not trusted.
    await writeFile(cachePath, 'garbage');
    assert.equal((await loadImageFolder(zip, opts)).name, 'set');

    // A changed source gets a new key.
    await writeFile(zip, zipOf({ ...files, 'beta/char02/a.png': await gray(90) }, 'set'));
    await utimes(zip, new Date(), new Date(Date.now() + 5000));
    const changed = await loadImageFolder(zip, opts);
    assert.equal(changed.rows.n, 6);
    assert.equal((await readdir(cacheDir)).length, 3);
  }));

test('a directory source is re-imported when a file inside it changes', () =>
  withDir(async (dir) => {
    const root = join(dir, 'set');
    const cacheDir = join(dir, 'cache');
    await writeTree(root, await tree());
    await loadImageFolder(root, { imageSize: 4, cacheDir });
    await writeFile(join(root, 'alpha/char01/a.png'), await gray(200));
    await utimes(join(root, 'alpha/char01/a.png'), new Date(), new Date(Date.now() + 5000));
    const changed = await loadImageFolder(root, { imageSize: 4, cacheDir });
    assert.ok(changed.rows.image![0] > 0.7);
    assert.equal((await readdir(cacheDir)).length, 2);
  }));
