// The checkpoints of one run live in one directory: immutable `ckpt-<iteration>` checkpoints
// plus two small pointer files, latest.json (where a resumed run continues) and best.json
// (what gets served). Anything neither pointer names is pruned after each save.
import { access, readdir, readFile, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { writeFileAtomic } from '../atomic-write.js';
import { CoreError } from '../errors.js';
import { verifyCheckpoint } from './checkpoint.js';

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

const checkpointsIn = async (dir: string) => (await readdir(dir)).filter((entry) => entry.startsWith('ckpt-')).sort();

/**
 * Removes checkpoints (and abandoned temp dirs) that no pointer names, except the one before
 * the latest: should the latest turn out corrupt, a resumed run falls back to it.
 */
export async function pruneCheckpoints(dir: string): Promise<void> {
  const latest = await readPointer(dir, 'latest');
  const previous = latest && (await checkpointsIn(dir)).filter((name) => name < latest.checkpoint).at(-1);
  const keep = new Set([latest?.checkpoint, (await readPointer(dir, 'best'))?.checkpoint, previous]);
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

export interface ResumePoint {
  /** The checkpoint directory to continue from; null to start afresh. */
  checkpoint: string | null;
  /** Newer checkpoints passed over, and why (the first error each gave). */
  skipped: { name: string; reason: string }[];
}

/**
 * Where a resumed run continues: the checkpoint the latest pointer names, or when that one is
 * missing, half-written or corrupt, the newest older one that verifies; afresh when none does.
 * A best pointer naming a skipped checkpoint is moved to the resume point, which then holds the
 * best weights the run still has.
 */
export async function findResumePoint(dir: string): Promise<ResumePoint> {
  const latest = await readPointer(dir, 'latest');
  if (!latest) return { checkpoint: null, skipped: [] };
  const older = (await checkpointsIn(dir)).filter((name) => name < latest.checkpoint).reverse();
  const skipped: ResumePoint['skipped'] = [];
  for (const name of [latest.checkpoint, ...older]) {
    try {
      const manifest = await verifyCheckpoint(join(dir, name));
      const best = await readPointer(dir, 'best');
      if (best && skipped.some((s) => s.name === best.checkpoint)) {
        await writePointer(dir, 'best', { checkpoint: name, iteration: manifest.iteration });
      }
      return { checkpoint: join(dir, name), skipped };
    } catch (error) {
      if (!(error instanceof CoreError && error.code === 'checkpoint_invalid')) throw error;
      skipped.push({ name, reason: error.message });
    }
  }
  return { checkpoint: null, skipped };
}

/** One line for a log: which checkpoints resuming passed over, why, and where it continues. */
export function describeResumeFallback(point: ResumePoint): string {
  const skipped = point.skipped.map((s) => `skipped ${s.name} (${s.reason})`).join('; ');
  return `${skipped}; ${point.checkpoint ? `resuming from ${basename(point.checkpoint)}` : 'no usable checkpoint left: starting afresh'}`;
}
