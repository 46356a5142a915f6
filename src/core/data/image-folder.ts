// ImageFolder-style import (`<class>/<image>`, from a directory or a .zip) with an on-disk
// cache: decoding 32k PNGs takes seconds, reloading the cached dataset file well under one.
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve, sep } from 'node:path';
import { unzipSync } from 'fflate';
import { CoreError } from '../errors.js';
import { DEFAULT_CONCURRENCY, mapLimit } from './concurrency.js';
import { loadDataset, saveDataset } from './dataset-file.js';
import { decodeImage, imageSpec, type ImageSpecOptions } from './images.js';
import { allocateRows, columns } from './rows.js';
import type { ClassDataset, ImageSpec } from './types.js';

export interface ImageFolderOptions extends ImageSpecOptions {
  /** Where to keep the decoded dataset; no caching without it. */
  cacheDir?: string;
  /** Dataset name (default: the source's base name without .zip). */
  name?: string;
}

/** Bump when decoding or layout changes, so stale caches are not reused. */
const CACHE_VERSION = 1;
const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.gif', '.webp', '.tif', '.tiff', '.avif']);

interface ImageEntry {
  /** '/'-separated path relative to the source root. */
  path: string;
  read(): Promise<Uint8Array>;
}

/** What a source holds, and a cheap fingerprint of it that changes whenever its images do. */
interface Listing {
  fingerprint: unknown;
  entries(): Promise<ImageEntry[]>;
}

/** Image files only, skipping dot-files and the `__MACOSX` folder macOS zips carry. */
function isImagePath(path: string): boolean {
  const segments = path.split('/');
  return (
    IMAGE_EXTENSIONS.has(extname(path).toLowerCase()) &&
    !segments.some((segment) => segment.startsWith('.') || segment === '__MACOSX')
  );
}

/** Bounds on what one zip may inflate to: a zip bomb is refused from its directory, before any inflating. */
export const ZIP_LIMITS = { entries: 200_000, bytes: 512 * 1024 * 1024 };

/** A filter for unzipSync that refuses archives beyond ZIP_LIMITS (declared sizes also bound what fflate allocates). */
function boundedImages(): (file: { name: string; originalSize: number }) => boolean {
  let entries = 0;
  let bytes = 0;
  return (file) => {
    if (!isImagePath(file.name)) return false;
    entries += 1;
    bytes += file.originalSize;
    if (entries > ZIP_LIMITS.entries || bytes > ZIP_LIMITS.bytes) {
      throw new CoreError(
        'too_large',
        `the zip holds more than ${ZIP_LIMITS.entries} images or ${ZIP_LIMITS.bytes} bytes of them uncompressed`,
        { limits: ZIP_LIMITS },
      );
    }
    return true;
  };
}

/** The zip is only inflated on a cache miss; its size and mtime are the fingerprint. */
function listZip(path: string, size: number, mtimeMs: number): Listing {
  return {
    fingerprint: { size, mtimeMs },
    entries: async () => {
      let files;
      try {
        files = unzipSync(await readFile(path), { filter: boundedImages() });
      } catch (error) {
        if (error instanceof CoreError) throw error;
        // The message names the archive by its base name only: uploads live in a server directory.
        throw new CoreError('invalid_data', `cannot read zip ${basename(path)}: ${(error as Error).message}`);
      }
      return Object.entries(files).map(([name, bytes]) => ({ path: name, read: async () => bytes }));
    },
  };
}

/** A directory's own mtime misses edits deep inside it, so every image's size and mtime count. */
async function listDirectory(root: string): Promise<Listing> {
  const paths = (await readdir(root, { recursive: true })).map((p) => p.split(sep).join('/')).filter(isImagePath).sort();
  const stats = await mapLimit(paths, DEFAULT_CONCURRENCY * 4, (path) => stat(join(root, path)));
  return {
    fingerprint: paths.map((path, i) => [path, stats[i].size, stats[i].mtimeMs]),
    entries: async () => paths.map((path) => ({ path, read: () => readFile(join(root, path)) })),
  };
}

/**
 * Class of each entry: its parent directory relative to the root, after stripping one
 * top-level folder all entries share (the zip of `images_background/` holds everything
 * under that folder; Omniglot classes become `Alphabet/characterNN`).
 */
function classPaths(entries: readonly ImageEntry[]): string[] {
  const segments = entries.map((entry) => entry.path.split('/'));
  const top = segments[0]?.[0];
  const strip = segments.length > 0 && segments.every((s) => s.length >= 3 && s[0] === top);
  return segments.map((s, i) => {
    const dir = s.slice(strip ? 1 : 0, -1);
    if (dir.length === 0) throw new CoreError('invalid_data', `image ${entries[i].path} is not inside a class folder`);
    return dir.join('/');
  });
}

export async function loadImageFolder(source: string, opts: ImageFolderOptions = {}): Promise<ClassDataset> {
  const absolute = resolve(source);
  const info = await stat(absolute).catch(() => {
    throw new CoreError('invalid_data', `image folder ${source} does not exist`);
  });
  const spec = imageSpec(opts);
  const name = opts.name ?? basename(absolute).replace(/\.zip$/i, '');
  const listing = info.isFile() ? listZip(absolute, info.size, info.mtimeMs) : await listDirectory(absolute);

  let cachePath: string | undefined;
  if (opts.cacheDir) {
    const key = createHash('sha256')
      .update(JSON.stringify({ version: CACHE_VERSION, absolute, fingerprint: listing.fingerprint, spec }))
      .digest('hex')
      .slice(0, 16);
    cachePath = join(opts.cacheDir, `${name.replace(/[^\w.-]+/g, '_')}-${key}.fsds`);
    const cached = await loadDataset(cachePath).catch(() => null); // missing or corrupt: rebuild
    if (cached) return cached;
  }

  const entries = await listing.entries();
  if (entries.length === 0) throw new CoreError('invalid_data', `no images found in ${basename(source)} (expected <class>/<image>.png|jpg)`);
  const dataset = await decodeEntries(name, entries, spec);
  if (cachePath) {
    await mkdir(dirname(cachePath), { recursive: true });
    await saveDataset(cachePath, dataset);
  }
  return dataset;
}

/** Rows ordered by (class, path), so each class's rows are contiguous and the order is stable. */
async function decodeEntries(name: string, unordered: readonly ImageEntry[], spec: ImageSpec): Promise<ClassDataset> {
  const classOf = classPaths(unordered);
  const order = unordered.map((entry, i) => ({ entry, className: classOf[i] }));
  order.sort((a, b) => compare(a.className, b.className) || compare(a.entry.path, b.entry.path));
  const classNames = [...new Set(order.map((o) => o.className))];
  const classIndex = new Map(classNames.map((c, i) => [c, i]));

  const rows = allocateRows({ image: spec }, order.length);
  const [image] = columns(rows);
  image.present.fill(1);
  await mapLimit(order, DEFAULT_CONCURRENCY, async ({ entry }, row) => {
    try {
      image.data.set(await decodeImage(await entry.read(), spec), row * image.width);
    } catch (error) {
      throw error instanceof CoreError ? new CoreError('invalid_data', `${entry.path}: ${error.message}`) : error;
    }
  });
  const labels = Int32Array.from(order, (o) => classIndex.get(o.className)!);
  return { name, classNames, rows, labels };
}

/** Code-unit order: locale-independent, so every machine sorts the same way. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
