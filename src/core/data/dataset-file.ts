// One-file binary store of a ClassDataset, used as the import cache and for uploaded
// datasets. Layout: 8-byte magic, uint32 LE header length, UTF-8 JSON header, payload.
// The payload is the raw little-endian typed arrays back to back, so saving and loading
// are a few memcpys and one sha256 even for Omniglot's ~100 MB. Text is stored as the raw
// strings (a UTF-8 JSON array), not as features: runs fit their own on it, and the hashed
// features a loaded dataset holds are recomputed, which is cheaper than storing them
// (HuffPost: 3 MB of text against 150 MB of 1,024-wide floats).
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { endianness } from 'node:os';
import { writeFileAtomic } from '../atomic-write.js';
import { CoreError } from '../errors.js';
import { allocateRows, columns, fromColumns, modalityWidth, specModalities, validateSpec, type ModalityColumn } from './rows.js';
import type { TextFeaturesConfig } from './text/features.js';
import { writeHashedText } from './text/hashing.js';
import type { ClassDataset, ClassSplitHint, InputSpec } from './types.js';

const MAGIC = Buffer.from('FSHOTDS\u0001', 'latin1');
/** 2: raw text (`texts`) in place of text features, and the dataset's text features choice. */
const VERSION = 2;
const READABLE = [1, VERSION];

type ArrayType = 'float32' | 'uint8' | 'int32';
const BYTES: Record<ArrayType, number> = { float32: 4, uint8: 1, int32: 4 };

interface ArrayEntry {
  name: string;
  type: ArrayType;
  /** From the start of the payload. */
  offset: number;
  length: number;
}

interface Header {
  version: number;
  name: string;
  classNames: string[];
  spec: InputSpec;
  n: number;
  arrays: ArrayEntry[];
  sha256: string;
  split?: ClassSplitHint;
  textFeatures?: TextFeaturesConfig;
}

type Typed = Float32Array | Uint8Array | Int32Array;

function invalid(path: string, reason: string): CoreError {
  return new CoreError('invalid_data', `dataset file ${path}: ${reason}`);
}

function requireLittleEndian(): void {
  // Typed arrays use the host byte order and the format is little-endian.
  if (endianness() !== 'LE') throw new CoreError('invalid_data', 'dataset files need a little-endian host');
}

/**
 * The array table `spec` and `n` call for: each modality's features then its mask, then labels,
 * contiguous. With `textBytes`, text is that many bytes of raw text instead of features.
 */
function arrayTable(spec: InputSpec, n: number, textBytes?: number): ArrayEntry[] {
  const shapes: Omit<ArrayEntry, 'offset'>[] = [
    ...specModalities(spec).flatMap((m) => [
      m === 'text' && textBytes !== undefined
        ? { name: 'texts', type: 'uint8' as const, length: textBytes }
        : { name: m, type: 'float32' as const, length: n * modalityWidth(spec, m) },
      { name: `${m}.present`, type: 'uint8' as const, length: n },
    ]),
    { name: 'labels', type: 'int32', length: n },
  ];
  let offset = 0;
  return shapes.map((shape) => {
    const entry = { ...shape, offset };
    offset += shape.length * BYTES[shape.type];
    return entry;
  });
}

const bytesOf = (array: Typed) => Buffer.from(array.buffer, array.byteOffset, array.byteLength);

/** Writes `ds` to `path` atomically: a reader sees the old file or the whole new one. */
export async function saveDataset(path: string, ds: ClassDataset): Promise<void> {
  requireLittleEndian();
  if (ds.labels.length !== ds.rows.n) throw new CoreError('invalid_data', 'dataset has a label count unlike its row count');
  if (ds.texts && ds.texts.length !== ds.rows.n) throw new CoreError('invalid_data', 'dataset has a text count unlike its row count');
  const texts = ds.texts && ds.rows.spec.text ? Buffer.from(JSON.stringify(ds.texts), 'utf8') : undefined;
  // Same order as arrayTable; columns() has checked every length against the spec.
  const data = (col: ModalityColumn) => (col.modality === 'text' && texts ? texts : col.data);
  const arrays: Typed[] = [...columns(ds.rows).flatMap((col) => [data(col), col.present]), ds.labels];
  const hash = createHash('sha256');
  for (const array of arrays) hash.update(bytesOf(array));
  const header: Header = {
    version: VERSION,
    name: ds.name,
    classNames: [...ds.classNames],
    spec: ds.rows.spec,
    n: ds.rows.n,
    arrays: arrayTable(ds.rows.spec, ds.rows.n, texts?.length),
    sha256: hash.digest('hex'),
    ...(ds.split ? { split: ds.split } : {}),
    ...(ds.textFeatures ? { textFeatures: ds.textFeatures } : {}),
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32LE(json.length);

  // One buffer copy of the payload, to share the checkpoints' crash-safe writer.
  await writeFileAtomic(path, Buffer.concat([MAGIC, length, json, ...arrays.map(bytesOf)]));
}

export async function loadDataset(path: string): Promise<ClassDataset> {
  requireLittleEndian();
  const file = await readFile(path);
  const prefix = MAGIC.length + 4;
  if (file.length < prefix || !file.subarray(0, MAGIC.length).equals(MAGIC)) throw invalid(path, 'not a dataset file (bad magic)');
  const headerEnd = prefix + file.readUInt32LE(MAGIC.length);
  if (headerEnd > file.length) throw invalid(path, 'truncated header');
  let header: Header | null;
  try {
    header = JSON.parse(file.subarray(prefix, headerEnd).toString('utf8')) as Header | null;
  } catch {
    throw invalid(path, 'header is not valid JSON');
  }
  if (typeof header !== 'object' || header === null) throw invalid(path, 'header is not an object');
  if (!READABLE.includes(header.version)) throw invalid(path, `unsupported version ${String(header.version)}`);
  checkHeader(path, header);

  const payload = file.subarray(headerEnd);
  const last = header.arrays[header.arrays.length - 1];
  const size = last.offset + last.length * BYTES[last.type];
  if (payload.length !== size) throw invalid(path, `payload is ${payload.length} bytes, header says ${size}`);
  if (createHash('sha256').update(payload).digest('hex') !== header.sha256) throw invalid(path, 'checksum mismatch (file is corrupt)');

  // Copies, not views: the file buffer need not be aligned for Float32Array/Int32Array.
  const arrays = new Map<string, Typed>();
  for (const a of header.arrays) {
    const array = a.type === 'float32' ? new Float32Array(a.length) : a.type === 'int32' ? new Int32Array(a.length) : new Uint8Array(a.length);
    bytesOf(array).set(payload.subarray(a.offset, a.offset + array.byteLength));
    arrays.set(a.name, array);
  }
  const labels = arrays.get('labels') as Int32Array;
  if (labels.some((label) => label < 0 || label >= header.classNames.length)) throw invalid(path, 'a label is out of range');
  const { spec, n } = header;
  const texts = arrays.has('texts') ? parseTexts(path, arrays.get('texts') as Uint8Array, n) : undefined;
  const cols = specModalities(spec).map((modality) => {
    const present = arrays.get(`${modality}.present`) as Uint8Array;
    if (modality === 'text' && texts) return hashedTexts(spec, texts, present);
    return { modality, width: modalityWidth(spec, modality), data: arrays.get(modality) as Float32Array, present };
  });
  return {
    name: header.name,
    classNames: header.classNames,
    rows: fromColumns(spec, n, cols),
    labels,
    ...(header.split ? { split: header.split } : {}),
    ...(texts ? { texts } : {}),
    ...(header.textFeatures ? { textFeatures: header.textFeatures } : {}),
  };
}

function parseTexts(path: string, bytes: Uint8Array, n: number): string[] {
  let texts: unknown;
  try {
    texts = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch {
    throw invalid(path, 'texts are not valid JSON');
  }
  if (!Array.isArray(texts) || texts.length !== n || !texts.every((t) => typeof t === 'string')) {
    throw invalid(path, `texts are not ${n} strings`);
  }
  return texts;
}

/** The text column as imports make it: hashed features at the spec's width. */
function hashedTexts(spec: InputSpec, texts: readonly string[], present: Uint8Array): ModalityColumn {
  const [col] = columns(allocateRows({ text: spec.text }, texts.length));
  col.present.set(present);
  texts.forEach((text, row) => {
    if (present[row] === 1) writeHashedText(text, col.data.subarray(row * col.width, (row + 1) * col.width));
  });
  return col;
}

/** The header must list exactly the arrays its spec and row count call for. */
function checkHeader(path: string, header: Header): void {
  const { spec, n, arrays } = header;
  if (typeof header.name !== 'string' || !Array.isArray(header.classNames) || typeof header.sha256 !== 'string') {
    throw invalid(path, 'header lacks name, classNames or sha256');
  }
  if (!Number.isInteger(n) || n < 0) throw invalid(path, 'bad row count');
  try {
    validateSpec(spec);
  } catch (error) {
    throw invalid(path, (error as Error).message);
  }
  const textBytes = header.version > 1 ? arrays.find((a) => a.name === 'texts')?.length : undefined;
  if (JSON.stringify(arrays) !== JSON.stringify(arrayTable(spec, n, textBytes))) throw invalid(path, 'array table does not match the spec and row count');
}
