// Artifacts (dataset files, checkpoints) by key, e.g. "datasets/ds_1/data.fsd". The core reads
// and writes local files, so every process works on a local copy of the keys it touches:
// writers write to `localPath(key)` and then `publish(key)`; readers `fetch(key)` first. On
// local disk the copy is the store and both are no-ops; an object store uploads and downloads.
import { ServiceError } from '../errors.js';

export interface Storage {
  /** Where the artifacts live, for logs and /readyz: a directory or s3://bucket/prefix. */
  readonly location: string;
  /** This process's local copy of `key` (its parent directory exists once this resolves). */
  localPath(key: string): Promise<string>;
  /** The key of a path below `localPath`'s root. */
  keyOf(path: string): string;
  /** Makes the local file `key` durable and visible to every process. */
  publish(key: string): Promise<void>;
  /**
   * Brings the stored file `key` to `localPath(key)` (atomically) unless a local copy is there
   * already and `fresh` is not asked for; false when nothing is stored under `key`.
   */
  fetch(key: string, opts?: { fresh?: boolean }): Promise<boolean>;
  /** The stored files below `prefix` (a "directory" key), as keys with their sizes. */
  list(prefix: string): Promise<{ key: string; bytes: number }[]>;
  exists(key: string): Promise<boolean>;
  /** Removes `key` and everything below it, stored and local; a missing key is not an error. */
  remove(key: string): Promise<void>;
  /** Resolves when the store can be used; throws a storage_unavailable ServiceError saying why otherwise. */
  check(): Promise<void>;
  close(): void;
}

// What the file system said, in words a client can act on (no server paths).
const FILE_SYSTEM_FAILURES: Record<string, string> = {
  ENOSPC: 'no space is left on the device',
  EDQUOT: 'the disk quota is used up',
  EROFS: 'the file system is read-only',
  EACCES: 'permission was denied',
  EPERM: 'the operation was not permitted',
  ENOTDIR: 'a file stands where a directory belongs',
  EIO: 'the device reported an I/O error',
};

/**
 * A file-system failure of the data store (disk full, read-only, unwritable) as a
 * storage_unavailable error saying what was being done and what went wrong; other errors as they are.
 */
export function asStorageFailure(error: unknown, doing: string): unknown {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (!code || !(code in FILE_SYSTEM_FAILURES)) return error;
  return new ServiceError('storage_unavailable', `${doing} failed: ${FILE_SYSTEM_FAILURES[code]} (${code})`, { code });
}

/** Where each kind of artifact lives. */
export const storageKeys = {
  dataset: (id: string) => `datasets/${id}/data.fsd`,
  datasetDir: (id: string) => `datasets/${id}`,
  /** The directory trainRun writes a job's checkpoints to. */
  run: (jobId: string) => `runs/${jobId}`,
};

/** Keys are relative paths with "/" separators, never leaving the root. */
export function checkKey(key: string): string {
  const parts = key.split('/');
  if (key === '' || key.startsWith('/') || parts.some((p) => p === '' || p === '.' || p === '..')) {
    throw new Error(`invalid storage key: ${JSON.stringify(key)}`);
  }
  return key;
}
