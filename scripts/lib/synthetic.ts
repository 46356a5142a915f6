// Seeded generated examples for the demo and the serving benchmark, so both run on any machine:
// PNG images of per-class blob patterns (made with sharp) and Gaussian-cluster vectors.
import sharp from 'sharp';
import type { Example } from 'fewshot/client';
import { Random } from '../../src/core/random.js';

function streams(seed: number): { next: () => number; gauss: () => number } {
  const rng = new Random(seed);
  return { next: () => rng.next(), gauss: () => rng.normal() };
}

export interface BlobImageOptions {
  classes: number;
  perClass: number;
  seed: number;
  /** Square side in pixels (default 28). */
  size?: number;
  /** Per-pixel noise, standard deviation in [0, 1] units (default 0.1). */
  noise?: number;
  /** Label stem: labels are `${prefix}-00`, `${prefix}-01`, ... (default 'pattern'). */
  prefix?: string;
}

/**
 * Per class, a pattern of three Gaussian blobs; each example is the pattern shifted by up to
 * 2 pixels plus pixel noise, as an 8-bit grayscale PNG (base64). Class-major order.
 */
export async function blobImages(opts: BlobImageOptions): Promise<Example[]> {
  const size = opts.size ?? 28;
  const noise = opts.noise ?? 0.1;
  const { next, gauss } = streams(opts.seed);
  const digits = String(opts.classes - 1).length;
  const examples: Example[] = [];
  for (let c = 0; c < opts.classes; c++) {
    const pattern = new Float32Array(size * size);
    for (let blob = 0; blob < 3; blob++) {
      const cy = size * (0.2 + 0.6 * next());
      const cx = size * (0.2 + 0.6 * next());
      const sigma = size * (0.06 + 0.1 * next());
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) pattern[y * size + x] += Math.exp(-((y - cy) ** 2 + (x - cx) ** 2) / (2 * sigma * sigma));
      }
    }
    const peak = pattern.reduce((a, b) => Math.max(a, b), 0);
    const label = `${opts.prefix ?? 'pattern'}-${String(c).padStart(digits, '0')}`;
    for (let i = 0; i < opts.perClass; i++) {
      const dy = Math.floor(next() * 5) - 2;
      const dx = Math.floor(next() * 5) - 2;
      const pixels = Buffer.alloc(size * size);
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const [sy, sx] = [y - dy, x - dx];
          const base = sy >= 0 && sy < size && sx >= 0 && sx < size ? pattern[sy * size + sx] / peak : 0;
          pixels[y * size + x] = Math.round(255 * Math.min(1, Math.max(0, base + noise * gauss())));
        }
      }
      const png = await sharp(pixels, { raw: { width: size, height: size, channels: 1 } }).png().toBuffer();
      examples.push({ label, image: png.toString('base64') });
    }
  }
  return examples;
}

export interface ClusterOptions {
  classes: number;
  perClass: number;
  dim: number;
  /** Standard deviation around each class centre (centres are standard normal). */
  noise: number;
  seed: number;
  prefix?: string;
}

/** Gaussian clusters, one per class, as vector examples. Class-major order. */
export function clusterVectors(opts: ClusterOptions): Example[] {
  const { gauss } = streams(opts.seed);
  const digits = String(opts.classes - 1).length;
  const examples: Example[] = [];
  for (let c = 0; c < opts.classes; c++) {
    const centre = Array.from({ length: opts.dim }, gauss);
    const label = `${opts.prefix ?? 'cluster'}-${String(c).padStart(digits, '0')}`;
    for (let i = 0; i < opts.perClass; i++) {
      examples.push({ label, vector: centre.map((x) => Math.round((x + opts.noise * gauss()) * 1e4) / 1e4) });
    }
  }
  return examples;
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
