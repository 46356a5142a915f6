// The checkpoints of one run live in one directory: immutable `ckpt-<iteration>` checkpoints
// plus two small pointer files, latest.json (where a resumed run continues) and best.json
// (what gets served). Anything neither pointer names is pruned after each save.
import { access, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../atomic-write.js';

export type Pointer = 'latest' | 'best';

export interface PointerFile {
  checkpoint: string;
  iteration: number;
}

export function checkpointName(iteration: number): string {
  return `ckpt-${String(iteration).padStart(7, '0')}`;
}

export async function readPointer(dir: string, pointer: Pointer): Promise<PointerFile | null> {
  try {
    return JSON.parse(await readFile(join(dir, `${pointer}.json`), 'utf8')) as PointerFile;
  } catch {
    return null;
  }
}

export async function writePointer(dir: string, pointer: Pointer, value: PointerFile): Promise<void> {
  await writeFileAtomic(join(dir, `${pointer}.json`), JSON.stringify(value));
}

/** Removes checkpoints (and abandoned temp dirs) that no pointer names. */
export async function pruneCheckpoints(dir: string): Promise<void> {
  const keep = new Set(
    [await readPointer(dir, 'latest'), await readPointer(dir, 'best')].flatMap((p) => (p ? [p.checkpoint] : [])),
  );
  for (const entry of await readdir(dir)) {
    if ((entry.startsWith('ckpt-') || entry.startsWith('.tmp-')) && !keep.has(entry)) {
      await rm(join(dir, entry), { recursive: true, force: true });
    }
  }
}

/** A checkpoint directory as given, or the best (else latest) checkpoint of a run directory; null if neither. */
export async function resolveCheckpoint(path: string): Promise<string | null> {
  const isCheckpoint = await access(join(path, 'manifest.json')).then(
    () => true,
    () => false,
  );
  if (isCheckpoint) return path;
  const pointer = (await readPointer(path, 'best')) ?? (await readPointer(path, 'latest'));
  return pointer ? join(path, pointer.checkpoint) : null;
}
