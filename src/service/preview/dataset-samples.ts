// A page of a dataset's classes with a few examples each, as a person wants to see them:
// images as PNG thumbnails (from the stored pixels), lines of the stored raw text, and the
// first values of vectors.
import sharp from 'sharp';
import type { ClassDataset, InputSpec } from '../core.js';
import type { DatasetSamples } from '../schemas/dataset-samples.js';
import type { DatasetRecord } from '../registry/datasets.js';
import { textSamples } from './text-samples.js';

/** Vectors are cut to their first values: enough to tell classes apart at a glance. */
const VECTOR_VALUES = 8;

/** A data: URL of the PNG for pixels `data` (h·w·c floats in [0, 1], stored inverted when `invert`). */
async function thumbnail(data: Float32Array, spec: NonNullable<InputSpec['image']>): Promise<string> {
  const bytes = Buffer.alloc(data.length);
  for (let i = 0; i < data.length; i++) {
    const intensity = spec.invert ? 1 - data[i] : data[i];
    bytes[i] = Math.round(Math.min(1, Math.max(0, intensity)) * 255);
  }
  const image = sharp(bytes, { raw: { width: spec.width, height: spec.height, channels: spec.channels as 1 | 3 } });
  const png = await (spec.channels === 1 ? image.toColourspace('b-w') : image).png().toBuffer();
  return `data:image/png;base64,${png.toString('base64')}`;
}

export async function samplePage(
  record: DatasetRecord,
  dataset: ClassDataset,
  page: { offset: number; limit: number; perClass: number },
): Promise<DatasetSamples> {
  const { offset, limit, perClass } = page;
  const end = Math.min(dataset.classNames.length, offset + limit);
  const rowsOf = new Map<number, number[]>();
  for (let c = offset; c < end; c++) rowsOf.set(c, []);
  dataset.labels.forEach((label, row) => {
    const rows = rowsOf.get(label);
    if (rows && rows.length < perClass) rows.push(row);
  });

  const texts = textSamples(dataset.labels, dataset.texts, rowsOf.keys(), perClass);
  const { spec, present } = dataset.rows;
  const sample = async (row: number) => {
    const out: DatasetSamples['classes'][number]['samples'][number] = { row };
    if (spec.image && present.image?.[row]) {
      const size = spec.image.height * spec.image.width * spec.image.channels;
      out.image = await thumbnail(dataset.rows.image!.subarray(row * size, (row + 1) * size), spec.image);
    }
    if (spec.vector && present.vector?.[row]) {
      const start = row * spec.vector.dim;
      out.vector = Array.from(dataset.rows.vector!.subarray(start, start + Math.min(VECTOR_VALUES, spec.vector.dim)));
    }
    return out;
  };
  const classes = await Promise.all(
    [...rowsOf].map(async ([index, rows]) => ({
      index,
      name: dataset.classNames[index],
      examples: record.classes[index]?.examples ?? rows.length,
      samples: await Promise.all(rows.map(sample)),
      texts: texts.get(index)!,
    })),
  );
  return { datasetId: record.id, totalClasses: dataset.classNames.length, offset, classes };
}
