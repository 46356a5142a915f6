// Storage of FeatureRows. Importers, the dataset file and the sampler all walk the
// modalities of a spec the same way, so that walk lives here once.
import { CoreError } from '../errors.js';
import { STROKE_CHANNELS, STROKE_POINTS_RANGE } from './strokes.js';
import { MODALITIES, RESIZE_FILTERS, type FeatureRows, type InputSpec, type Modality } from './types.js';

/** One modality of a set of rows: `width` floats per row in `data`, one flag per row in `present`. */
export interface ModalityColumn {
  readonly modality: Modality;
  readonly width: number;
  readonly data: Float32Array;
  readonly present: Uint8Array;
}

/** The modalities a spec carries, always in MODALITIES order (file layouts rely on it). */
export function specModalities(spec: InputSpec): Modality[] {
  return MODALITIES.filter((m) => spec[m] !== undefined);
}

/** Floats per row of one modality. */
export function modalityWidth(spec: InputSpec, modality: Modality): number {
  switch (modality) {
    case 'image': {
      const image = spec.image;
      return image ? image.height * image.width * image.channels : 0;
    }
    case 'text':
      return spec.text?.features ?? 0;
    case 'vector':
      return spec.vector?.dim ?? 0;
    case 'strokes':
      return (spec.strokes?.points ?? 0) * STROKE_CHANNELS;
  }
}

/** Rejects specs that cannot size an array; specs arrive from files and from users. */
export function validateSpec(spec: InputSpec): void {
  const modalities = specModalities(spec);
  if (modalities.length === 0) throw new CoreError('invalid_data', 'input spec has no modality');
  const sizes: [string, unknown][] = [
    ['image.height', spec.image?.height],
    ['image.width', spec.image?.width],
    ['image.channels', spec.image?.channels],
    ['text.features', spec.text?.features],
    ['vector.dim', spec.vector?.dim],
    ['strokes.points', spec.strokes?.points],
  ];
  for (const [field, value] of sizes) {
    if (value !== undefined && !(Number.isInteger(value) && (value as number) > 0)) {
      throw new CoreError('invalid_data', `input spec ${field} must be a positive integer, got ${String(value)}`);
    }
  }
  const points = spec.strokes?.points;
  if (points !== undefined && (points < STROKE_POINTS_RANGE.min || points > STROKE_POINTS_RANGE.max)) {
    throw new CoreError('invalid_data', `strokes.points must be in ${STROKE_POINTS_RANGE.min}..${STROKE_POINTS_RANGE.max}, got ${points}`);
  }
  const channels = spec.image?.channels;
  if (channels !== undefined && channels !== 1 && channels !== 3) {
    throw new CoreError('invalid_data', `image channels must be 1 or 3, got ${channels}`);
  }
  const resize = spec.image?.resize;
  if (resize !== undefined && !RESIZE_FILTERS.includes(resize)) {
    throw new CoreError('invalid_data', `image resize must be one of ${RESIZE_FILTERS.join(', ')}, got ${String(resize)}`);
  }
}

/** The columns of `rows`; throws when an array is missing or sized against the spec. */
export function columns(rows: FeatureRows): ModalityColumn[] {
  return specModalities(rows.spec).map((modality) => {
    const width = modalityWidth(rows.spec, modality);
    const data = rows[modality];
    const present = rows.present[modality];
    if (!data || data.length !== rows.n * width || !present || present.length !== rows.n) {
      throw new CoreError('invalid_data', `rows do not match the spec for modality '${modality}'`);
    }
    return { modality, width, data, present };
  });
}

/** Floats one set of rows may hold (2 GiB): a body of many tiny images at ?imageSize=512 must not take the process down. */
export const MAX_ROW_FLOATS = 2 ** 29;

/** Zeroed rows (every modality absent) ready to be written into. */
export function allocateRows(spec: InputSpec, n: number): FeatureRows {
  validateSpec(spec);
  const perRow = specModalities(spec).reduce((sum, modality) => sum + modalityWidth(spec, modality), 0);
  if (n * perRow > MAX_ROW_FLOATS) {
    throw new CoreError(
      'too_large',
      `${n} examples of ${perRow} numbers each exceed the limit of ${MAX_ROW_FLOATS} numbers; use fewer examples or a smaller imageSize`,
      { examples: n, perExample: perRow, limit: MAX_ROW_FLOATS },
    );
  }
  return fromColumns(
    spec,
    n,
    specModalities(spec).map((modality) => {
      const width = modalityWidth(spec, modality);
      return { modality, width, data: new Float32Array(n * width), present: new Uint8Array(n) };
    }),
  );
}

export function fromColumns(spec: InputSpec, n: number, cols: readonly ModalityColumn[]): FeatureRows {
  const rows: { -readonly [K in keyof FeatureRows]: FeatureRows[K] } = { spec, n, present: {} };
  for (const col of cols) {
    rows[col.modality] = col.data;
    rows.present[col.modality] = col.present;
  }
  return rows;
}

/** Rows of several sets, one after another; all must share one spec. */
export function concatRows(parts: readonly FeatureRows[]): FeatureRows {
  if (parts.length === 0) throw new CoreError('invalid_data', 'nothing to concatenate');
  const spec = parts[0].spec;
  const key = JSON.stringify(spec);
  for (const part of parts) {
    if (JSON.stringify(part.spec) !== key) throw new CoreError('invalid_data', 'cannot concatenate rows of different specs');
  }
  const n = parts.reduce((sum, part) => sum + part.n, 0);
  const out = allocateRows(spec, n);
  const outCols = columns(out);
  let row = 0;
  for (const part of parts) {
    columns(part).forEach((col, i) => {
      outCols[i].data.set(col.data, row * col.width);
      outCols[i].present.set(col.present, row);
    });
    row += part.n;
  }
  return out;
}
