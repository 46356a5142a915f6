// Host rows -> input tensors. Inputs may hold several tasks stacked along the row axis
// (task t owns rows [t·rows, (t+1)·rows)), which lets one set of kernel calls serve a whole
// meta-batch. Presence masks are attached only for modalities that some row is missing, so
// complete data takes the cheaper unmasked path through the network.
import { tf, type Tensor, type Tensor2D, type Tensor4D } from '../tensor/tf.js';
import type { FeatureRows, Modality } from '../data/types.js';
import { MODALITIES } from '../data/types.js';
import { concatRows } from '../data/rows.js';

export interface Inputs {
  /** Number of tasks stacked along the row axis. */
  readonly tasks: number;
  /** Rows per task. */
  readonly rows: number;
  readonly image?: Tensor4D;
  readonly text?: Tensor2D;
  readonly vector?: Tensor2D;
  /** [tasks·rows, points·STROKE_CHANNELS] resampled pen points. */
  readonly strokes?: Tensor2D;
  /** [tasks·rows] 0/1 per modality; absent means every row has it. */
  readonly masks: Partial<Record<Modality, Tensor>>;
}

/** One set of rows per task; every set must have the same number of rows. */
export function toInputs(perTask: FeatureRows | readonly FeatureRows[]): Inputs {
  const parts = Array.isArray(perTask) ? perTask : [perTask as FeatureRows];
  const rows = parts.length === 1 ? parts[0] : concatRows(parts);
  const { spec, n } = rows;
  const masks: Partial<Record<Modality, Tensor>> = {};
  for (const m of MODALITIES) {
    const present = rows.present[m];
    if (spec[m] && present && present.some((p: number) => p === 0)) masks[m] = tf.tensor1d(Float32Array.from(present));
  }
  return {
    tasks: parts.length,
    rows: parts[0].n,
    masks,
    image:
      spec.image && rows.image
        ? tf.tensor4d(rows.image, [n, spec.image.height, spec.image.width, spec.image.channels])
        : undefined,
    text: spec.text && rows.text ? tf.tensor2d(rows.text, [n, spec.text.features]) : undefined,
    vector: spec.vector && rows.vector ? tf.tensor2d(rows.vector, [n, spec.vector.dim]) : undefined,
    strokes: spec.strokes && rows.strokes ? tf.tensor2d(rows.strokes, [n, rows.strokes.length / n]) : undefined,
  };
}

export function disposeInputs(inputs: Inputs): void {
  tf.dispose([inputs.image, inputs.text, inputs.vector, inputs.strokes, ...Object.values(inputs.masks)].filter((t) => t !== undefined));
}

/** Rows [from, from + count) of every task of a [tasks·rows, ...] tensor. */
function rowsOfEachTask<T extends Tensor>(x: T, tasks: number, rows: number, from: number, count: number): T {
  const [, ...rest] = x.shape;
  // One trailing axis keeps the slice at rank 3, which every backend pads in its gradient.
  const width = rest.reduce((a, b) => a * b, 1);
  const perTask = tf.reshape(x, [tasks, rows, width]);
  return tf.reshape(tf.slice(perTask, [0, from, 0], [tasks, count, width]), [tasks * count, ...rest]) as T;
}

/** The first `count` rows of every task of a [tasks·rows, ...] tensor. */
export function leadingRows<T extends Tensor>(x: T, tasks: number, rows: number, count: number): T {
  return count === rows ? x : rowsOfEachTask(x, tasks, rows, 0, count);
}

/** Rows [from, rows) of every task of a [tasks·rows, ...] tensor. */
export function trailingRows<T extends Tensor>(x: T, tasks: number, rows: number, from: number): T {
  return rowsOfEachTask(x, tasks, rows, from, rows - from);
}
