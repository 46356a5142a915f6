// User-supplied examples (API bodies, uploads) -> FeatureRows. Every path that turns
// raw input into model input goes through `featurize`, so training data and serving
// requests are featurised by the same code under the same spec.
import { CoreError } from '../errors.js';
import { DEFAULT_CONCURRENCY, mapLimit } from './concurrency.js';
import { decodeImage, imageSpec, type ImageSpecOptions } from './images.js';
import { allocateRows, columns } from './rows.js';
import { DEFAULT_STROKE_POINTS, strokesProblem, writeStrokes, type Strokes } from './strokes.js';
import { storedTextWidth, type TextFeatures, type TextFeaturesConfig } from './text/features.js';
import { hashingFeatures } from './text/hashing.js';
import { MODALITIES, type ClassDataset, type FeatureRows, type InputSpec, type Modality } from './types.js';

export interface RawExample {
  label?: string;
  text?: string;
  /** PNG/JPEG/... bytes, base64 or a base64 data URL. */
  image?: Buffer | string;
  vector?: number[];
  /** Pen strokes: [[[x, y, t], ...], ...] (see strokes.ts). */
  strokes?: Strokes;
}

export interface SpecOptions extends ImageSpecOptions {
  /** The text features runs on the dataset use by default; see ClassDataset.textFeatures. */
  text?: TextFeaturesConfig;
  /** Points each drawing is resampled to (default 64). */
  strokePoints?: number;
}

/** Missing means undefined or JSON null; an empty string is present text (all zeros). */
function has(example: RawExample, modality: Modality): boolean {
  return example[modality] !== undefined && example[modality] !== null;
}

function fail(index: number, message: string): CoreError {
  return new CoreError('invalid_data', `example ${index}: ${message}`, { example: index });
}

/** The spec covering every modality that occurs in `examples`. */
export function inferSpec(examples: readonly RawExample[], opts: SpecOptions = {}): InputSpec {
  const spec: InputSpec = {};
  if (examples.some((e) => has(e, 'image'))) {
    spec.image = imageSpec(opts);
  }
  if (examples.some((e) => has(e, 'text'))) spec.text = { features: storedTextWidth(opts.text) };
  const firstVector = examples.findIndex((e) => has(e, 'vector'));
  if (firstVector >= 0) {
    const dim = examples[firstVector].vector!.length;
    examples.forEach((e, i) => {
      if (has(e, 'vector') && e.vector!.length !== dim) {
        throw fail(i, `vector has length ${e.vector!.length}, but example ${firstVector} has ${dim}`);
      }
    });
    spec.vector = { dim };
  }
  if (examples.some((e) => has(e, 'strokes'))) spec.strokes = { points: opts.strokePoints ?? DEFAULT_STROKE_POINTS };
  if (!spec.image && !spec.text && !spec.vector && !spec.strokes) throw new CoreError('invalid_data', 'no example has an image, text, vector or strokes');
  return spec;
}

const article = (modality: Modality) => (modality === 'image' ? 'an image' : modality === 'strokes' ? 'strokes' : `a ${modality}`);

/**
 * Rows for `examples` under `spec`; a missing modality is zeros with present = 0. Text goes
 * through `text` (a run's fitted features when serving; by default, hashing at the spec's width).
 */
export async function featurize(
  examples: readonly RawExample[],
  spec: InputSpec,
  text?: TextFeatures,
): Promise<FeatureRows> {
  const rows = allocateRows(spec, examples.length);
  const cols = Object.fromEntries(columns(rows).map((col) => [col.modality, col]));
  const textFeatures = spec.text && (text ?? hashingFeatures(spec.text.features));
  if (textFeatures && textFeatures.config.dim !== spec.text!.features) {
    throw new Error(`text features are ${textFeatures.config.dim} wide, the input spec's ${spec.text!.features}`);
  }
  examples.forEach((example, i) => {
    const present = MODALITIES.filter((m) => has(example, m));
    if (present.length === 0) throw fail(i, 'has no image, text, vector or strokes');
    const unknown = present.find((m) => !cols[m]);
    if (unknown) throw fail(i, `has ${article(unknown)}, but the input spec takes none`);
  });

  examples.forEach((example, i) => {
    if (has(example, 'text')) {
      if (typeof example.text !== 'string') throw fail(i, 'text must be a string');
      const col = cols.text;
      textFeatures!.write(example.text, col.data.subarray(i * col.width, (i + 1) * col.width));
      col.present[i] = 1;
    }
    if (has(example, 'strokes')) {
      const problem = strokesProblem(example.strokes);
      if (problem) throw fail(i, problem);
      const col = cols.strokes;
      writeStrokes(example.strokes!, spec.strokes!.points, col.data.subarray(i * col.width, (i + 1) * col.width));
      col.present[i] = 1;
    }
    const { vector } = example;
    if (has(example, 'vector')) {
      const col = cols.vector;
      if (!Array.isArray(vector) || vector.length !== col.width) {
        throw fail(i, `vector must be an array of ${col.width} numbers`);
      }
      if (!vector.every(Number.isFinite)) throw fail(i, 'vector has a value that is not a finite number');
      col.data.set(vector, i * col.width);
      col.present[i] = 1;
    }
  });

  const withImage = examples.flatMap((example, i) => (has(example, 'image') ? [i] : []));
  await mapLimit(withImage, DEFAULT_CONCURRENCY, async (i) => {
    const col = cols.image;
    try {
      col.data.set(await decodeImage(examples[i].image!, spec.image!), i * col.width);
    } catch (error) {
      throw error instanceof CoreError ? fail(i, error.message) : error;
    }
    col.present[i] = 1;
  });
  rejectOverflow(rows);
  return rows;
}

/** Values that are finite as JSON numbers but not as float32 (1e39) would reach the model as Infinity. */
function rejectOverflow(rows: FeatureRows): void {
  for (const col of columns(rows)) {
    const bad = col.data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw fail(Math.floor(bad / col.width), `${col.modality} has a value beyond the 32-bit float range (±3.4e38)`);
  }
}

/**
 * The classes of labelled rows: their names in sorted (code-unit) order, so the same labels in any
 * order map the same way, and each row's index into them.
 */
export function labelClasses(labels: readonly string[]): { classNames: string[]; labels: Int32Array } {
  const classNames = [...new Set(labels)].sort();
  const index = new Map(classNames.map((label, i) => [label, i]));
  return { classNames, labels: Int32Array.from(labels, (label) => index.get(label)!) };
}

/**
 * A labelled dataset from raw examples. Class indices follow the sorted label strings
 * (code-unit order), so the same examples in any order give the same dataset. The raw text
 * is kept beside the rows, for runs that fit their text features on it.
 */
export async function buildDataset(
  name: string,
  examples: readonly RawExample[],
  opts: SpecOptions & { spec?: InputSpec } = {},
): Promise<ClassDataset> {
  examples.forEach((example, i) => {
    if (typeof example.label !== 'string' || example.label.length === 0) throw fail(i, 'needs a label');
  });
  const { classNames, labels } = labelClasses(examples.map((e) => e.label!));
  const rows = await featurize(examples, opts.spec ?? inferSpec(examples, opts));
  if (!rows.spec.text) return { name, classNames, rows, labels };
  const texts = examples.map((e) => (has(e, 'text') ? e.text! : ''));
  return { name, classNames, rows, labels, texts, ...(opts.text ? { textFeatures: opts.text } : {}) };
}
