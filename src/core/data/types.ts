// Host-side data model shared by importers, the episode sampler and the learners.
// Everything here is plain typed arrays: tensors are made only inside the learners,
// so data code never has to think about disposal.
import type { TextFeaturesConfig } from './text/features.js';

/** New modalities go at the end: dataset files lay their arrays out in this order. */
export const MODALITIES = ['image', 'text', 'vector', 'strokes'] as const;
export type Modality = (typeof MODALITIES)[number];

/** Shape of each modality a dataset carries; an absent key means the modality never occurs. */
export interface InputSpec {
  /**
   * `invert` stores 1 - intensity (dark strokes on a light page become 1, as Omniglot is
   * usually fed). It lives in the spec so serving featurises uploads the way training did;
   * so does `resize`, the filter images were shrunk with (absent: 'bilinear', what every
   * dataset and checkpoint made before the field existed used).
   */
  image?: { height: number; width: number; channels: number; invert?: boolean; resize?: ResizeFilter };
  /**
   * Text as a fixed-width vector of `features` numbers. A dataset holds hashed features of its
   * raw text (see ClassDataset.texts); a run re-featurises with the text features it uses.
   */
  text?: { features: number };
  vector?: { dim: number };
  /** Pen strokes resampled to `points` points of STROKE_CHANNELS numbers each (see strokes.ts). */
  strokes?: { points: number };
}

/** Resampling filter for images (see images.ts). */
export const RESIZE_FILTERS = ['lanczos', 'bilinear'] as const;
export type ResizeFilter = (typeof RESIZE_FILTERS)[number];

export type ImageSpec = NonNullable<InputSpec['image']>;

/**
 * Rows of examples, one dense row-major array per modality. A row whose modality is
 * missing has zeros there and `present[m][row] === 0`; the model masks it out.
 */
export interface FeatureRows {
  readonly spec: InputSpec;
  readonly n: number;
  readonly image?: Float32Array; // n * h * w * c, values in [0, 1]
  readonly text?: Float32Array; // n * features
  readonly vector?: Float32Array; // n * dim
  readonly strokes?: Float32Array; // n * points * STROKE_CHANNELS
  readonly present: Partial<Record<Modality, Uint8Array>>; // n each, for every modality in spec
}

/** A labelled dataset: rows plus an integer class per row. */
export interface ClassDataset {
  readonly name: string;
  readonly classNames: readonly string[];
  readonly rows: FeatureRows;
  readonly labels: Int32Array; // n, index into classNames
  /** The class split the data's publisher defines (Omniglot, HuffPost); training uses it when present. */
  readonly split?: ClassSplitHint;
  /**
   * Each row's raw text ('' where it has none), when the dataset has text: text features that
   * need fitting are fitted on it when a run starts, from the meta-training classes only.
   */
  readonly texts?: readonly string[];
  /** The text features runs on this dataset use unless they ask for others. */
  readonly textFeatures?: TextFeaturesConfig;
}

export interface ClassSplitHint {
  readonly train: readonly number[];
  readonly validation: readonly number[];
  readonly test: readonly number[];
}

/** One few-shot task: N classes, K support and Q query examples each, labels 0..N-1. */
export interface Episode {
  readonly ways: number;
  readonly support: FeatureRows;
  readonly supportLabels: Int32Array;
  readonly query: FeatureRows;
  readonly queryLabels: Int32Array;
  /** Which dataset class each episode label stands for (after the per-task permutation). */
  readonly classIds: readonly number[];
  /** The same with rotations: label k is views[k]; set by the episode sampler. */
  readonly views?: readonly ClassView[];
}

/** Quarter turns counter-clockwise (as numpy's rot90). */
export type Rotation = 0 | 1 | 2 | 3;

/**
 * A class as the episode sampler sees it: a dataset class, optionally rotated. Rotated
 * copies of a class count as new classes (the Omniglot augmentation protocol).
 */
export interface ClassView {
  readonly classId: number;
  readonly rotation: Rotation;
}
