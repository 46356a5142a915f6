import { constants } from 'node:fs';
import { access, mkdir, readdir, rm, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { ServiceError } from '../errors.js';
import { checkKey, type Storage } from './storage.js';

/** Every file below `dir`, as paths relative to it with "/" separators; none when `dir` is missing. */
export async function filesBelow(dir: string): Promise<{ path: string; bytes: number }[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  const files = entries.filter((e) => e.isFile());
  return Promise.all(
    files.map(async (e) => {
      const full = join(e.parentPath, e.name);
      return { path: relative(dir, full).split(sep).join('/'), bytes: (await stat(full)).size };
    }),
  );
}

/**
 * This process's local tree of keys below `root`: the store itself for LocalStorage, the cache
 * of an object store otherwise.
 */
export class LocalTree {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  resolveKey(key: string): string {
    const path = resolve(this.root, checkKey(key));
    if (!path.startsWith(this.root + sep)) throw new Error(`storage key outside the root: ${key}`);
    return path;
  }

  async localPath(key: string): Promise<string> {
    const path = this.resolveKey(key);
    await mkdir(dirname(path), { recursive: true });
    return path;
  }

  keyOf(path: string): string {
    const key = relative(this.root, path);
    if (key === '' || key.startsWith('..') || isAbsolute(key)) throw new Error(`path outside the storage root: ${path}`);
    return key.split(sep).join('/');
  }

  has(key: string): Promise<boolean> {
    return access(this.resolveKey(key)).then(
      () => true,
      () => false,
    );
  }

  async remove(key: string): Promise<void> {
    await rm(this.resolveKey(key), { recursive: true, force: true });
  }
}

/** Storage in a directory of the local (or a shared network) filesystem. */
export class LocalStorage extends LocalTree implements Storage {
  get location(): string {
    return this.root;
  }

  // Writers wrote the file in place (atomically): it is stored already.
  async publish(key: string): Promise<void> {
    if (!(await this.has(key))) throw new Error(`nothing to publish at ${key}`);
  }

  fetch(key: string): Promise<boolean> {
    return this.has(key);
  }

  async list(prefix: string): Promise<{ key: string; bytes: number }[]> {
    const files = await filesBelow(this.resolveKey(prefix));
    return files.map((f) => ({ key: `${prefix}/${f.path}`, bytes: f.bytes }));
  }

  exists(key: string): Promise<boolean> {
    return this.has(key);
  }

  async check(): Promise<void> {
    try {
      await mkdir(this.root, { recursive: true });
      await access(this.root, constants.W_OK);
    } catch (error) {
      throw new ServiceError('storage_unavailable', `storage directory ${this.root}: ${(error as Error).message}`);
    }
  }

  close(): void {}
}
