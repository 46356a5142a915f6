// A modality that is the same for every example teaches nothing: a dataset whose images are
// all flat, whose texts are all empty or whose vectors are all equal would meta-train for
// hours to chance accuracy. Importers refuse such data when it arrives, naming the modality.
import { CoreError } from '../errors.js';
import { columns, type ModalityColumn } from './rows.js';
import type { ClassDataset } from './types.js';

function constantRow(col: ModalityColumn, row: number): boolean {
  const values = col.data.subarray(row * col.width, (row + 1) * col.width);
  return values.every((v) => v === values[0]);
}

function sameRows(col: ModalityColumn, a: number, b: number): boolean {
  for (let i = 0; i < col.width; i++) if (col.data[a * col.width + i] !== col.data[b * col.width + i]) return false;
  return true;
}

/** Why `col` carries no information, or null when it does. */
function uninformative(col: ModalityColumn, dataset: ClassDataset): string | null {
  const rows = [...col.present.keys()].filter((row) => col.present[row] === 1);
  if (rows.length === 0) return null;
  switch (col.modality) {
    case 'image':
      return rows.every((row) => constantRow(col, row)) ? 'every image is a single flat colour' : null;
    case 'text':
      // Hashed features of the empty text are zeros; the raw text, when kept, says it plainly.
      return (dataset.texts ? rows.every((row) => dataset.texts![row].trim() === '') : rows.every((row) => constantRow(col, row)))
        ? 'every text is empty'
        : null;
    default:
      return rows.length > 1 && rows.every((row) => sameRows(col, row, rows[0])) ? `every ${col.modality === 'vector' ? 'vector' : 'drawing'} is the same` : null;
  }
}

/** Throws `degenerate_data` when a modality of `dataset` is the same for all its examples. */
export function assertInformative(dataset: ClassDataset): void {
  for (const col of columns(dataset.rows)) {
    const reason = uninformative(col, dataset);
    if (reason) {
      throw new CoreError('degenerate_data', `${col.modality}: ${reason}, so it cannot tell classes apart`, { modality: col.modality });
    }
  }
}
