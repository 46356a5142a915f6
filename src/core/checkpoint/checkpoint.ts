// A checkpoint is a directory: manifest.json (everything needed to continue or serve the run,
// with checksums) beside raw little-endian float32 weights and optimiser slots. It is written
// under a temporary name and renamed into place, so a crash never leaves half a checkpoint.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { TrainConfig } from '../config.js';
import type { DataSplit, EvaluationReport } from '../types.js';
import type { InputSpec } from '../data/types.js';
import { CoreError } from '../errors.js';
import type { ParamSpec } from '../models/params.js';
import { sizeOf } from '../models/params.js';
import type { RandomState } from '../random.js';
import type { OptimizerState } from '../training/optimizer.js';
import { syncDirectory, writeFileAtomic, writeSynced } from '../atomic-write.js';
import type { TextFeaturesEntry } from './text-features.js';
import { concatTyped } from '../typed-arrays.js';

export const CHECKPOINT_FORMAT = 'fewshot-checkpoint/1';

export interface RunMetrics {
  loss: number;
  accuracy: number;
  validationAccuracy: number | null;
  bestValidationAccuracy: number | null;
  bestIteration: number | null;
}

export interface CheckpointManifest {
  format: typeof CHECKPOINT_FORMAT;
  createdAt: string;
  iteration: number;
  config: TrainConfig;
  spec: InputSpec;
  dataset: { name: string; classNames: readonly string[] };
  split: DataSplit;
  metrics: RunMetrics;
  rng: { sampler: RandomState };
  optimizer: { kind: OptimizerState['kind']; step: number } | null;
  params: { name: string; shape: number[] }[];
  files: Record<string, { bytes: number; sha256: string }>;
  evaluation: EvaluationReport | null;
  backend: string;
  /** The run's text features, when its data has text (absent in older checkpoints: hashing at spec.text's width). */
  text?: TextFeaturesEntry;
}

export type ManifestFields = Omit<CheckpointManifest, 'format' | 'createdAt' | 'files' | 'params' | 'optimizer'>;

export interface CheckpointData {
  manifest: CheckpointManifest;
  params: Float32Array[];
  optimizer: OptimizerState | null;
}

const WEIGHTS = 'weights.bin';
const OPTIMIZER = 'optimizer.bin';
/** Written last: a checkpoint whose manifest is missing is incomplete. */
export const MANIFEST = 'manifest.json';

/** Float32 arrays back to back, as the raw little-endian bytes a checkpoint file holds. */
function concat(arrays: readonly Float32Array[]): Uint8Array {
  return new Uint8Array(concatTyped(arrays, (n) => new Float32Array(n)).buffer);
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Writes `<parent>/<name>` atomically; replaces an older checkpoint of the same name. `files`
 * are further blobs (a fitted text model), checksummed in the manifest like the weights.
 */
export async function writeCheckpoint(
  parent: string,
  name: string,
  fields: ManifestFields,
  params: { spec: ParamSpec; values: Float32Array }[],
  optimizer: OptimizerState | null,
  files: readonly [string, Uint8Array][] = [],
): Promise<string> {
  await mkdir(parent, { recursive: true });
  const temp = join(parent, `.tmp-${name}-${randomBytes(6).toString('hex')}`);
  const target = join(parent, name);
  await mkdir(temp);
  try {
    const checksums: CheckpointManifest['files'] = {};
    const blobs: [string, Uint8Array][] = [[WEIGHTS, concat(params.map((p) => p.values))], ...files];
    if (optimizer) blobs.push([OPTIMIZER, concat(optimizer.slots)]);
    for (const [file, bytes] of blobs) {
      await writeSynced(join(temp, file), bytes);
      checksums[file] = { bytes: bytes.byteLength, sha256: sha256(bytes) };
    }
    const manifest: CheckpointManifest = {
      format: CHECKPOINT_FORMAT,
      createdAt: new Date().toISOString(),
      ...fields,
      optimizer: optimizer ? { kind: optimizer.kind, step: optimizer.step } : null,
      params: params.map((p) => ({ name: p.spec.name, shape: [...p.spec.shape] })),
      files: checksums,
    };
    await writeSynced(join(temp, MANIFEST), JSON.stringify(manifest, null, 2));
    await syncDirectory(temp);
    await rm(target, { recursive: true, force: true });
    await rename(temp, target);
    await syncDirectory(parent);
    return target;
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
}

function invalid(path: string, what: string): CoreError {
  return new CoreError('checkpoint_invalid', `checkpoint ${path}: ${what}`, { path });
}

export async function readManifest(path: string): Promise<CheckpointManifest> {
  let text: string;
  try {
    text = await readFile(join(path, MANIFEST), 'utf8');
  } catch {
    throw invalid(path, `${MANIFEST} is missing or unreadable`);
  }
  let manifest: CheckpointManifest;
  try {
    manifest = JSON.parse(text) as CheckpointManifest;
  } catch {
    throw invalid(path, `${MANIFEST} is not valid JSON`);
  }
  if (manifest.format !== CHECKPOINT_FORMAT) {
    throw invalid(path, `unknown format ${JSON.stringify(manifest.format)} (expected ${CHECKPOINT_FORMAT})`);
  }
  return manifest;
}

/** A file of the checkpoint, checked against the size and sha256 its manifest records. */
export async function readVerifiedFile(path: string, manifest: CheckpointManifest, file: string): Promise<Buffer> {
  const entry = manifest.files[file];
  if (!entry) throw invalid(path, `the manifest lists no ${file}`);
  let bytes: Buffer;
  try {
    bytes = await readFile(join(path, file));
  } catch {
    throw invalid(path, `${file} is missing`);
  }
  if (bytes.byteLength !== entry.bytes) {
    throw invalid(path, `${file} has ${bytes.byteLength} bytes, the manifest says ${entry.bytes}`);
  }
  if (sha256(bytes) !== entry.sha256) throw invalid(path, `${file} fails its sha256 checksum (corrupted)`);
  return bytes;
}

async function readVerified(path: string, manifest: CheckpointManifest, file: string): Promise<Float32Array> {
  // Copy into an aligned buffer: Buffer slices may start at any byte offset.
  return new Float32Array(new Uint8Array(await readVerifiedFile(path, manifest, file)).buffer);
}

/**
 * Checks that every file the manifest lists is there whole (size and sha256): for a checkpoint
 * copied from elsewhere, before anything relies on it. The error names the first culprit.
 */
export async function verifyCheckpoint(path: string): Promise<CheckpointManifest> {
  const manifest = await readManifest(path);
  // Bytes, not floats: a checkpoint also holds non-float files (fitted text features).
  for (const file of Object.keys(manifest.files)) await readVerifiedFile(path, manifest, file);
  return manifest;
}

function split(values: Float32Array, shapes: number[][]): Float32Array[] {
  let offset = 0;
  return shapes.map((shape) => {
    const n = sizeOf(shape);
    const part = values.slice(offset, offset + n);
    offset += n;
    return part;
  });
}

/**
 * Reads and verifies a checkpoint. With `expected`, every parameter's name and shape must match
 * the network about to receive them, and the error names the first that does not.
 */
export async function readCheckpoint(path: string, expected?: readonly ParamSpec[]): Promise<CheckpointData> {
  const manifest = await readManifest(path);
  if (expected) {
    if (expected.length !== manifest.params.length) {
      throw invalid(path, `it holds ${manifest.params.length} parameter tensors, the model needs ${expected.length}`);
    }
    expected.forEach((spec, i) => {
      const got = manifest.params[i];
      if (got.name !== spec.name || got.shape.join('x') !== spec.shape.join('x')) {
        throw invalid(path, `parameter ${i} is ${got.name} [${got.shape}], the model expects ${spec.name} [${spec.shape}]`);
      }
    });
  }
  const shapes = manifest.params.map((p) => p.shape);
  const weights = await readVerified(path, manifest, WEIGHTS);
  const total = shapes.reduce((n, s) => n + sizeOf(s), 0);
  if (weights.length !== total) throw invalid(path, `${WEIGHTS} holds ${weights.length} floats, the shapes need ${total}`);
  let optimizer: OptimizerState | null = null;
  if (manifest.optimizer) {
    const slots = await readVerified(path, manifest, OPTIMIZER);
    const slotShapes = manifest.optimizer.kind === 'adam' ? [...shapes, ...shapes] : [];
    optimizer = { kind: manifest.optimizer.kind, step: manifest.optimizer.step, slots: split(slots, slotShapes) };
  }
  return { manifest, params: split(weights, shapes), optimizer };
}

/** Rewrites only the manifest (e.g. to add the final evaluation); the blobs and checksums stay. */
export async function updateManifest(path: string, patch: Partial<Pick<CheckpointManifest, 'evaluation' | 'metrics'>>): Promise<CheckpointManifest> {
  const manifest = { ...(await readManifest(path)), ...patch };
  await writeFileAtomic(join(path, MANIFEST), JSON.stringify(manifest, null, 2));
  return manifest;
}
