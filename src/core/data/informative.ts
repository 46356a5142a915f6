// A modality that is the same for every example teaches nothing: a dataset whose images are
// all one and the same (a constant image), whose texts are all empty or whose vectors are all
// equal would meta-train for hours to chance accuracy. Uploads refuse such data, naming the modality.
import { CoreError } from '../errors.js';
import { columns, type ModalityColumn } from './rows.js';
import type { ClassDataset } from './types.js';

function sameRows(col: ModalityColumn, a: number, b: number): boolean {
  for (let i = 0; i < col.width; i++) if (col.data[a * col.width + i] !== col.data[b * col.width + i]) return false;
  return true;
}

/** Why `col` carries no information, or null when it does. */
function uninformative(col: ModalityColumn, dataset: ClassDataset): string | null {
  const rows = [...col.present.keys()].filter((row) => col.present[row] === 1);
  if (rows.length === 0) return null;
  // The raw text, when kept, tells an empty text from one whose features happen to agree.
  if (col.modality === 'text' && dataset.texts) return rows.every((row) => dataset.texts![row].trim() === '') ? 'every text is empty' : null;
  const what = { image: 'image', text: 'text', vector: 'vector', strokes: 'drawing' }[col.modality];
  return rows.length > 1 && rows.every((row) => sameRows(col, row, rows[0])) ? `every ${what} is the same` : null;
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
