// Raw labelled examples carrying all four modalities, each telling the classes apart on its
// own: a blob image (PNG), a few words, a vector and a pen drawing per class, plus noise. Tests
// drop modalities from them to build every mix; the HTTP test uploads them as JSON.
import sharp from 'sharp';
import { Random } from '../../src/core/random.js';
import { MODALITIES, type Modality } from '../../src/core/data/types.js';

export interface MultimodalExample {
  label: string;
  image?: string;
  text?: string;
  vector?: number[];
  strokes?: number[][][];
}

export interface MultimodalOptions {
  classes: number;
  perClass: number;
  seed: number;
  /** Image side (default 16). */
  size?: number;
  /** Vector width (default 6). */
  dim?: number;
}

/** Examples grouped by class: perClass of class 0, then of class 1, ... */
export async function multimodalExamples(opts: MultimodalOptions): Promise<MultimodalExample[]> {
  const rng = new Random(opts.seed);
  const size = opts.size ?? 16;
  const dim = opts.dim ?? 6;
  // Class words come from one shared pool, so text features fitted on some classes know the
  // words of the others too (as headlines of unseen categories share the language).
  const pool = Array.from({ length: 40 }, () => Array.from({ length: 5 }, () => String.fromCharCode(97 + rng.int(26))).join(''));
  const classes = Array.from({ length: opts.classes }, () => ({
    blobs: Array.from({ length: 2 }, () => [2 + rng.int(size - 4), 2 + rng.int(size - 4)]),
    words: Array.from({ length: 4 }, () => pool[rng.int(pool.length)]),
    centre: Array.from({ length: dim }, () => rng.normal()),
    drawing: Array.from({ length: 2 }, () => Array.from({ length: 4 }, () => [rng.int(100), rng.int(100)])),
  }));
  const examples: MultimodalExample[] = [];
  for (let c = 0; c < opts.classes; c++) {
    const k = classes[c];
    for (let j = 0; j < opts.perClass; j++) {
      const pixels = Buffer.alloc(size * size);
      const [dy, dx] = [rng.int(3) - 1, rng.int(3) - 1];
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const ink = k.blobs.reduce((v, [by, bx]) => v + Math.exp(-((y - by - dy) ** 2 + (x - bx - dx) ** 2) / 4), 0);
          pixels[y * size + x] = Math.round(255 * Math.min(1, Math.max(0, ink + 0.1 * rng.normal())));
        }
      }
      const png = await sharp(pixels, { raw: { width: size, height: size, channels: 1 } }).png().toBuffer();
      examples.push({
        label: `class-${c}`,
        image: png.toString('base64'),
        text: Array.from({ length: 5 }, () => (rng.next() < 0.7 ? k.words[rng.int(4)] : pool[rng.int(pool.length)])).join(' '),
        vector: k.centre.map((v) => v + 0.3 * rng.normal()),
        strokes: k.drawing.map((stroke) => stroke.map(([x, y], t) => [x + 4 * rng.normal(), y + 4 * rng.normal(), 10 * t])),
      });
    }
  }
  return examples;
}

/** The example with only `keep` of its modalities (and its label unless `unlabelled`). */
export function only(example: MultimodalExample, keep: readonly Modality[], unlabelled = false): MultimodalExample {
  const out: MultimodalExample = unlabelled ? ({} as MultimodalExample) : { label: example.label };
  for (const m of keep) (out as unknown as Record<string, unknown>)[m] = example[m];
  return out;
}

/** Every non-empty subset of the four modalities. */
export const MODALITY_SUBSETS: readonly (readonly Modality[])[] = Array.from({ length: 15 }, (_, mask) =>
  MODALITIES.filter((_, i) => ((mask + 1) >> i) & 1),
);
