// A training run's checkpoints in storage. trainRun writes a run directory on local disk:
// checkpoint directories (blobs + a manifest with their checksums) and small pointer files
// beside them. Here that directory is published checkpoint by checkpoint — a checkpoint's
// blobs, then its manifest, then the pointers — so whatever a reader finds through a pointer
// is complete, and a checkpoint is used only once its manifest and checksums agree.
import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CHECKPOINT_MANIFEST, CoreError, verifyCheckpoint } from '../core.js';
import { filesBelow } from './local.js';
import { storageKeys, type Storage } from './storage.js';

/** A run's files split into checkpoint directories and top-level (pointer) files, by relative path. */
function layout(paths: string[]) {
  const checkpoints = new Map<string, string[]>();
  const top: string[] = [];
  for (const path of paths) {
    const [dir, ...rest] = path.split('/');
    // trainRun's own temporary directories are nobody's business but its own.
    if (dir.startsWith('.')) continue;
    if (rest.length === 0) top.push(path);
    else checkpoints.set(dir, [...(checkpoints.get(dir) ?? []), path]);
  }
  return { checkpoints, top };
}

const isManifest = (path: string) => path.endsWith(`/${CHECKPOINT_MANIFEST}`) || path === CHECKPOINT_MANIFEST;
/** A checkpoint's files in upload order: the manifest last. */
const manifestLast = (paths: string[]) => [...paths.filter((p) => !isManifest(p)), ...paths.filter(isManifest)];

export class RunStorage {
  /** Local files this process has published or fetched, with the size:mtime they had then. */
  private readonly synced = new Map<string, string>();
  /** Checkpoints this process has fetched and verified, by key. */
  private readonly verified = new Map<string, Promise<string>>();

  constructor(private readonly storage: Storage) {}

  private async stamp(key: string): Promise<string> {
    const { size, mtimeMs } = await stat(await this.storage.localPath(key));
    return `${size}:${mtimeMs}`;
  }

  private async remember(key: string): Promise<void> {
    this.synced.set(key, await this.stamp(key));
  }

  /**
   * The local directory of run `jobId` made to hold what the store holds: every complete,
   * verified checkpoint and the pointer files. Whatever else is there locally (a checkpoint an
   * earlier attempt on this machine wrote but never stored, or a stored one that fails its
   * checksums) goes, so a resumed run continues from the stored, sound state only (trainRun
   * falls back past a pointer naming a checkpoint that is gone).
   */
  async pull(jobId: string): Promise<string> {
    const runKey = storageKeys.run(jobId);
    const dir = await this.storage.localPath(runKey);
    await mkdir(dir, { recursive: true });
    const stored = (await this.storage.list(runKey)).map((o) => o.key.slice(runKey.length + 1));
    const { checkpoints, top } = layout(stored);
    const keep = new Set<string>();
    for (const [name, files] of checkpoints) {
      if (!files.some(isManifest)) continue; // its upload never finished: invisible
      for (const file of manifestLast(files)) await this.storage.fetch(`${runKey}/${file}`, { fresh: true });
      const sound = await verifyCheckpoint(join(dir, name)).then(
        () => true,
        (error: unknown) => {
          if (error instanceof CoreError && error.code === 'checkpoint_invalid') return false;
          throw error;
        },
      );
      if (sound) for (const file of files) keep.add(file);
    }
    for (const file of top) {
      await this.storage.fetch(`${runKey}/${file}`, { fresh: true });
      keep.add(file);
    }
    for (const local of await filesBelow(dir)) {
      if (!keep.has(local.path)) await rm(join(dir, local.path), { force: true });
    }
    for (const file of keep) await this.remember(`${runKey}/${file}`);
    return dir;
  }

  /**
   * Publishes what changed in the local run directory since the last pull or push: each new or
   * rewritten checkpoint (blobs, then manifest), then the pointer files; then removes stored
   * checkpoints that the run has pruned locally.
   */
  async push(jobId: string): Promise<void> {
    const runKey = storageKeys.run(jobId);
    const dir = await this.storage.localPath(runKey);
    const local = (await filesBelow(dir)).map((f) => f.path);
    const { checkpoints, top } = layout(local);
    const changed = async (file: string) => this.synced.get(`${runKey}/${file}`) !== (await this.stamp(`${runKey}/${file}`));
    for (const files of checkpoints.values()) {
      for (const file of manifestLast(files)) {
        if (await changed(file)) await this.publish(`${runKey}/${file}`);
      }
    }
    for (const file of top) if (await changed(file)) await this.publish(`${runKey}/${file}`);
    const stored = layout((await this.storage.list(runKey)).map((o) => o.key.slice(runKey.length + 1)));
    for (const name of stored.checkpoints.keys()) {
      if (!checkpoints.has(name)) await this.storage.remove(`${runKey}/${name}`);
    }
  }

  private async publish(key: string): Promise<void> {
    const stamp = await this.stamp(key);
    await this.storage.publish(key);
    this.synced.set(key, stamp);
  }

  /** The local directory of stored checkpoint `key`, complete and verified (fetched once per process). */
  checkpoint(key: string): Promise<string> {
    let ready = this.verified.get(key);
    if (!ready) {
      ready = this.fetchCheckpoint(key);
      this.verified.set(key, ready);
      ready.catch(() => this.verified.delete(key));
    }
    return ready;
  }

  private async fetchCheckpoint(key: string): Promise<string> {
    const files = (await this.storage.list(key)).map((o) => o.key);
    const dir = await this.storage.localPath(key);
    if (!files.some(isManifest)) throw new CoreError('checkpoint_invalid', `checkpoint ${key} is not stored`, { key });
    const fetchAll = async (fresh: boolean) => {
      for (const file of manifestLast(files)) await this.storage.fetch(file, { fresh });
    };
    await fetchAll(false);
    try {
      await verifyCheckpoint(dir);
    } catch {
      // A stale or torn local copy: fetch it all again; a second failure is the stored copy's.
      await fetchAll(true);
      await verifyCheckpoint(dir);
    }
    return dir;
  }

  /** Forgets a removed checkpoint's verification. */
  forget(keyPrefix: string): void {
    for (const key of this.verified.keys()) if (key === keyPrefix || key.startsWith(`${keyPrefix}/`)) this.verified.delete(key);
  }
}
