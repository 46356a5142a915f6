// Copying chosen rows out of a dataset: one typed-array copy per row and modality.
import { CoreError } from '../errors.js';
import { allocateRows, columns } from '../data/rows.js';
import { rotateStrokes, STROKE_CHANNELS } from '../data/strokes.js';
import type { FeatureRows, Rotation } from '../data/types.js';
import { assertRotatable, rotateImage } from './rotate.js';

/**
 * New rows holding rows `indices` of `rows`, in that order; row i's image and strokes are
 * turned `rotations[i]` quarter turns (other modalities are copied as they are).
 */
export function gatherRows(rows: FeatureRows, indices: ArrayLike<number>, rotations?: ArrayLike<Rotation>): FeatureRows {
  if (rotations && rotations.length !== indices.length) throw new CoreError('invalid_data', 'one rotation per gathered row');
  if (rotations && Array.prototype.some.call(rotations, (turns: Rotation) => turns !== 0)) assertRotatable(rows.spec);
  const out = allocateRows(rows.spec, indices.length);
  const outCols = columns(out);
  columns(rows).forEach((col, m) => {
    const { width } = col;
    const target = outCols[m];
    for (let i = 0; i < indices.length; i++) {
      const row = indices[i];
      if (!Number.isInteger(row) || row < 0 || row >= rows.n) throw new CoreError('invalid_data', `row ${row} is out of range`);
      target.present[i] = col.present[row];
      const turns = rotations?.[i] ?? 0;
      if (col.modality === 'image' && turns !== 0) {
        const { height, channels } = rows.spec.image!;
        rotateImage(col.data, row * width, target.data, i * width, height, channels, turns);
      } else if (col.modality === 'strokes' && turns !== 0) {
        rotateStrokes(col.data, row * width, target.data, i * width, width / STROKE_CHANNELS, turns);
      } else {
        target.data.set(col.data.subarray(row * width, (row + 1) * width), i * width);
      }
    }
  });
  return out;
}
