// Omniglot drawings with their pen strokes for bench:multimodal: both small background sets
// (the only ones published with strokes) as one dataset, and the modality selections the
// benchmark compares.
import { loadOmniglot, type ClassDataset, type Modality } from '../src/core/index.js';
import { columns, concatRows, fromColumns } from '../src/core/data/rows.js';
import { gatherRows } from '../src/core/episodes/gather.js';
import { OMNIGLOT_STROKE_SETS } from './multimodal-plan.js';

/** images_background_small1 and small2 with strokes; the characters they share (Greek, Latin: the same files) once. */
export async function omniglotWithStrokes(cacheDir: string): Promise<ClassDataset> {
  const sets = await Promise.all(OMNIGLOT_STROKE_SETS.map(async (path) => (await loadOmniglot(path, { cacheDir })).dataset));
  const classNames: string[] = [];
  const parts = sets.map((set) => {
    const fresh = new Set(set.classNames.flatMap((name, c) => (classNames.includes(name) ? [] : [c])));
    const offset = classNames.length;
    const renumber = new Map([...fresh].map((c, i) => [c, offset + i]));
    classNames.push(...[...fresh].map((c) => set.classNames[c]));
    const rows = Array.from(set.labels.keys()).filter((row) => fresh.has(set.labels[row]));
    return { rows: gatherRows(set.rows, rows), labels: rows.map((row) => renumber.get(set.labels[row])!) };
  });
  return {
    name: 'omniglot-strokes',
    classNames,
    rows: concatRows(parts.map((p) => p.rows)),
    labels: Int32Array.from(parts.flatMap((p) => p.labels)),
  };
}

/** The dataset with only `keep` of its modalities (the others leave the spec). */
export function keepModalities(dataset: ClassDataset, keep: readonly Modality[]): ClassDataset {
  const kept = columns(dataset.rows).filter((col) => keep.includes(col.modality));
  const spec = Object.fromEntries(Object.entries(dataset.rows.spec).filter(([m]) => keep.includes(m as Modality)));
  return { ...dataset, rows: fromColumns(spec, dataset.rows.n, kept) };
}

/** The dataset with `modality` missing from every row (its spec unchanged): a model meets it absent. */
export function withoutModality(dataset: ClassDataset, modality: Modality): ClassDataset {
  const cols = columns(dataset.rows).map((col) =>
    col.modality === modality ? { ...col, data: new Float32Array(col.data.length), present: new Uint8Array(col.present.length) } : col,
  );
  return { ...dataset, rows: fromColumns(dataset.rows.spec, dataset.rows.n, cols) };
}
