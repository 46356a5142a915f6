import { access, mkdir, rm } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import type { Storage } from './storage.js';

/** Storage in a directory of the local (or a shared network) filesystem. */
export class LocalStorage implements Storage {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  private resolveKey(key: string): string {
    const path = resolve(this.root, key);
    if (path === this.root || !path.startsWith(this.root + sep)) throw new Error(`storage key outside the root: ${key}`);
    return path;
  }

  async path(key: string): Promise<string> {
    const path = this.resolveKey(key);
    await mkdir(dirname(path), { recursive: true });
    return path;
  }

  keyOf(path: string): string {
    const key = relative(this.root, path);
    if (key === '' || key.startsWith('..') || isAbsolute(key)) throw new Error(`path outside the storage root: ${path}`);
    return key.split(sep).join('/');
  }

  async exists(key: string): Promise<boolean> {
    return access(this.resolveKey(key)).then(
      () => true,
      () => false,
    );
  }

  async remove(key: string): Promise<void> {
    await rm(this.resolveKey(key), { recursive: true, force: true });
  }
}
