// The core's seeded generated data (src/core/data/synthetic.ts) as API examples, for the demo
// and the serving benchmark, so both run on any machine: PNG images of per-class blob patterns
// (encoded with sharp) and Gaussian-cluster vectors; and few-shot tasks cut from examples.
import sharp from 'sharp';
import type { Example, Prediction } from 'fewshot/client';
import { accuracyOf } from '../../src/core/learners/task.js';
import { gaussianClusters, rowValues, tinyImages, type GaussianClusterOptions, type TinyImageOptions } from '../../src/core/data/synthetic.js';

/** `${prefix}-00`, `${prefix}-01`, ...: labels that sort in class order. */
const labeller = (classes: number, prefix: string) => (classId: number) => `${prefix}-${String(classId).padStart(String(classes - 1).length, '0')}`;

export interface BlobImageOptions extends TinyImageOptions {
  /** Label stem (default 'pattern'). */
  prefix?: string;
}

/** The core's tiny blob-pattern images (tinyImages) as 8-bit grayscale PNGs (base64). Class-major order. */
export async function blobImages(opts: BlobImageOptions): Promise<Example[]> {
  const data = tinyImages(opts);
  const { width, height } = data.rows.spec.image!;
  const label = labeller(opts.classes, opts.prefix ?? 'pattern');
  return Promise.all(
    rowValues(data, 'image').map(async (values, row) => {
      const pixels = Buffer.from(Uint8Array.from(values, (v) => Math.round(255 * v)));
      const png = await sharp(pixels, { raw: { width, height, channels: 1 } }).png().toBuffer();
      return { label: label(data.labels[row]), image: png.toString('base64') };
    }),
  );
}

export interface ClusterOptions extends GaussianClusterOptions {
  /** Label stem (default 'cluster'). */
  prefix?: string;
}

/** The core's Gaussian clusters as vector examples, rounded to 4 decimals for compact JSON. Class-major order. */
export function clusterVectors(opts: ClusterOptions): Example[] {
  const data = gaussianClusters(opts);
  const label = labeller(opts.classes, opts.prefix ?? 'cluster');
  return rowValues(data, 'vector').map((values, row) => ({
    label: label(data.labels[row]),
    vector: Array.from(values, (x) => Math.round(x * 1e4) / 1e4),
  }));
}

/** Examples grouped by label, in first-seen order. */
export function byLabel(examples: readonly Example[]): Map<string, Example[]> {
  const groups = new Map<string, Example[]>();
  for (const e of examples) groups.set(e.label, [...(groups.get(e.label) ?? []), e]);
  return groups;
}

/**
 * A few-shot task from labelled examples: `shots` support examples and `queries` queries of
 * each of the first `ways` labels. The truth of each query is kept beside it.
 */
export function fewShotTask(
  examples: readonly Example[],
  ways: number,
  shots: number,
  queries: number,
): { support: Example[]; queries: Example[] } {
  const groups = [...byLabel(examples).values()].slice(0, ways);
  if (groups.length < ways) throw new Error(`a ${ways}-way task needs ${ways} labels; there are ${groups.length}`);
  const short = groups.find((g) => g.length < shots + queries);
  if (short) throw new Error(`label ${short[0].label} has ${short.length} examples; ${shots + queries} are needed`);
  return {
    support: groups.flatMap((g) => g.slice(0, shots)),
    queries: groups.flatMap((g) => g.slice(shots, shots + queries)),
  };
}

/** Drops the label: what a query looks like on the wire. */
export const asQuery = ({ label: _, ...query }: Example) => query;

/** Fraction of `predictions` that name the label of the query beside them in `truth`. */
export const labelAccuracy = (predictions: readonly Prediction[], truth: readonly Example[]) =>
  accuracyOf(
    predictions.map((p) => p.label),
    truth.map((e) => e.label),
  );
