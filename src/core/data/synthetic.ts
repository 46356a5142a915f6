// Seeded generated datasets for tests and quick demos: small, instant, and learnable, so
// a learner that fails on them is broken rather than under-trained.
import { Random } from '../random.js';
import { allocateRows, columns, type ModalityColumn } from './rows.js';
import { DEFAULT_TEXT_DIM } from './text/features.js';
import { writeHashedText } from './text/hashing.js';
import type { ClassDataset, FeatureRows, InputSpec, Modality } from './types.js';

interface Shape {
  classes: number;
  perClass: number;
  seed: number;
}

export interface GaussianClusterOptions extends Shape {
  dim: number;
  /** Standard deviation around each class centre (centres are standard normal). */
  noise: number;
}

export interface TinyImageOptions extends Shape {
  /** Square side (default 28). */
  size?: number;
  /** Standard deviation of per-pixel noise (default 0.1). */
  noise?: number;
}

export interface MultimodalOptions extends Shape {
  /** Image side (default 28). */
  size?: number;
  /** Vector width (default 16). */
  dim?: number;
  /** Noise of both the images and the vectors (default 0.3 for vectors, 0.1 for images). */
  noise?: number;
  /** Also give each row a text of class-typical words (default false). */
  text?: boolean;
  /** Fraction of rows with one modality (chosen at random) missing (default 0.2). */
  missing?: number;
}

/** Rows are class-major: row = class * perClass + j. */
function dataset(name: string, shape: Shape, rows: FeatureRows): ClassDataset {
  return {
    name,
    classNames: Array.from({ length: shape.classes }, (_, c) => `class-${c}`),
    rows,
    labels: Int32Array.from({ length: shape.classes * shape.perClass }, (_, row) => Math.floor(row / shape.perClass)),
  };
}

function column(rows: FeatureRows, modality: Modality): ModalityColumn {
  return columns(rows).find((col) => col.modality === modality)!;
}

/** Fills every row of `col` with `write(class, out)`, marking it present. */
function fill(col: ModalityColumn, perClass: number, write: (classId: number, out: Float32Array) => void): void {
  col.present.fill(1);
  for (let row = 0; row < col.present.length; row++) {
    write(Math.floor(row / perClass), col.data.subarray(row * col.width, (row + 1) * col.width));
  }
}

/** Class centres, and a writer of noisy points around them. */
function clusters(rng: Random, classes: number, dim: number, noise: number) {
  const centres = Array.from({ length: classes }, () => Float32Array.from({ length: dim }, () => rng.normal()));
  return (classId: number, out: Float32Array) => {
    for (let i = 0; i < dim; i++) out[i] = centres[classId][i] + noise * rng.normal();
  };
}

/**
 * Per class, a smooth pattern of three Gaussian blobs; each example is its class's
 * pattern shifted by up to 2 pixels plus pixel noise, clipped to [0, 1]. Shift-tolerant
 * features (a conv net) separate the classes easily, raw pixel distance less so.
 */
function blobs(rng: Random, classes: number, size: number, noise: number) {
  const patterns = Array.from({ length: classes }, () => {
    const pattern = new Float32Array(size * size);
    for (let blob = 0; blob < 3; blob++) {
      const [cy, cx] = [size * (0.2 + 0.6 * rng.next()), size * (0.2 + 0.6 * rng.next())];
      const sigma = size * (0.06 + 0.1 * rng.next());
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) pattern[y * size + x] += Math.exp(-((y - cy) ** 2 + (x - cx) ** 2) / (2 * sigma * sigma));
      }
    }
    const peak = pattern.reduce((a, b) => Math.max(a, b), 0);
    return pattern.map((v) => v / peak);
  });
  return (classId: number, out: Float32Array) => {
    const [dy, dx] = [rng.int(5) - 2, rng.int(5) - 2];
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const [sy, sx] = [y - dy, x - dx];
        const base = sy >= 0 && sy < size && sx >= 0 && sx < size ? patterns[classId][sy * size + sx] : 0;
        out[y * size + x] = Math.min(1, Math.max(0, base + noise * rng.normal()));
      }
    }
  };
}

/**
 * Six words per text, each from the class's own five words with probability 0.6, else from ten
 * shared ones; each text is pushed onto `texts` as its features are written.
 */
function words(rng: Random, classes: number, texts: string[]) {
  const word = () => Array.from({ length: 5 }, () => String.fromCharCode(97 + rng.int(26))).join('');
  const common = Array.from({ length: 10 }, word);
  const own = Array.from({ length: classes }, () => Array.from({ length: 5 }, word));
  return (classId: number, out: Float32Array) => {
    const text = Array.from({ length: 6 }, () => (rng.next() < 0.6 ? own[classId][rng.int(5)] : common[rng.int(10)])).join(' ');
    texts.push(text);
    writeHashedText(text, out);
  };
}

/**
 * A generated dataset's values of one modality, a view per row in its (class-major) order: for
 * callers that hand the same data on as examples (the demo's uploads, the service tests).
 */
export function rowValues(data: ClassDataset, modality: Modality): Float32Array[] {
  const col = column(data.rows, modality);
  return Array.from({ length: data.rows.n }, (_, row) => col.data.subarray(row * col.width, (row + 1) * col.width));
}

export function gaussianClusters(opts: GaussianClusterOptions): ClassDataset {
  const rows = allocateRows({ vector: { dim: opts.dim } }, opts.classes * opts.perClass);
  fill(column(rows, 'vector'), opts.perClass, clusters(new Random(opts.seed), opts.classes, opts.dim, opts.noise));
  return dataset('gaussian-clusters', opts, rows);
}

export function tinyImages(opts: TinyImageOptions): ClassDataset {
  const size = opts.size ?? 28;
  const rows = allocateRows({ image: { height: size, width: size, channels: 1 } }, opts.classes * opts.perClass);
  fill(column(rows, 'image'), opts.perClass, blobs(new Random(opts.seed), opts.classes, size, opts.noise ?? 0.1));
  return dataset('tiny-images', opts, rows);
}

/**
 * Image + vector (+ text) rows that share the class identity, with a `missing` fraction
 * of rows lacking one modality, to exercise masking and fusion.
 */
export function multimodalClusters(opts: MultimodalOptions): ClassDataset {
  const size = opts.size ?? 28;
  const spec: InputSpec = {
    image: { height: size, width: size, channels: 1 },
    vector: { dim: opts.dim ?? 16 },
    ...(opts.text ? { text: { features: DEFAULT_TEXT_DIM.hashing } } : {}),
  };
  const rows = allocateRows(spec, opts.classes * opts.perClass);
  // One stream per modality: turning text on leaves the images and vectors unchanged.
  const rng = new Random(opts.seed);
  const [imageRng, vectorRng, textRng, missingRng] = [rng.fork(), rng.fork(), rng.fork(), rng.fork()];
  fill(column(rows, 'image'), opts.perClass, blobs(imageRng, opts.classes, size, opts.noise ?? 0.1));
  fill(column(rows, 'vector'), opts.perClass, clusters(vectorRng, opts.classes, spec.vector!.dim, opts.noise ?? 0.3));
  const texts: string[] = [];
  if (opts.text) fill(column(rows, 'text'), opts.perClass, words(textRng, opts.classes, texts));

  const cols = columns(rows);
  for (let row = 0; row < rows.n; row++) {
    if (missingRng.next() >= (opts.missing ?? 0.2)) continue;
    const drop = cols[missingRng.int(cols.length)];
    drop.present[row] = 0;
    drop.data.fill(0, row * drop.width, (row + 1) * drop.width);
    if (drop.modality === 'text') texts[row] = '';
  }
  const data = dataset('multimodal-clusters', opts, rows);
  return opts.text ? { ...data, texts } : data;
}
