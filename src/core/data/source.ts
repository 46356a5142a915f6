// Turns a dataset source string (`fewshot train --dataset`) into a dataset, and whether its runs
// rotate image classes. `fewshot train`, `fewshot eval` and the benchmarks all read sources
// through here, so an evaluation always loads exactly the classes its checkpoint was trained on;
// the class split is the run's (training/run.ts makeSplit), which follows a published split.
import { existsSync, statSync } from 'node:fs';
import { CoreError } from '../errors.js';
import { loadDataset } from './dataset-file.js';
import { loadHuffPost } from './huffpost.js';
import { loadImageFolder } from './image-folder.js';
import { loadOmniglot } from './omniglot.js';
import { gaussianClusters, tinyImages } from './synthetic.js';
import type { ClassDataset, ResizeFilter } from './types.js';

export const SOURCE_FORMS = [
  'omniglot:<dir-or-zip>',
  'huffpost:<dir>',
  'synthetic:clusters',
  'synthetic:images',
  '<images.zip or image folder>',
  '<saved dataset file>',
] as const;

// Synthetic data ignores the run's seed: `fewshot eval` must regenerate the very classes the
// checkpoint was trained on, and it is not told the training seed.
const SYNTHETIC_SEED = 7;

const SYNTHETIC: Record<string, () => ClassDataset> = {
  clusters: () => gaussianClusters({ classes: 40, perClass: 20, dim: 16, noise: 0.5, seed: SYNTHETIC_SEED }),
  images: () => tinyImages({ classes: 30, perClass: 20, seed: SYNTHETIC_SEED }),
};

export interface DatasetSourceOptions {
  /** Rotated copies of image classes as new classes; default on for Omniglot, off otherwise. */
  rotations?: boolean;
  /** Where decoded image sets are cached; no caching without it. */
  cacheDir?: string;
  /** Resampling filter for image sets decoded here (saved dataset files keep theirs). */
  resize?: ResizeFilter;
}

export interface ResolvedDataset {
  dataset: ClassDataset;
  /** Whether runs on it rotate image classes (config.rotations): meta-train and validation classes only. */
  rotations: boolean;
  /** One line on what was loaded, for logs. */
  description: string;
}

function describe(dataset: ClassDataset, how: string): string {
  const split = dataset.split
    ? `; published split ${dataset.split.train.length} meta-train / ${dataset.split.validation.length} validation / ${dataset.split.test.length} test classes`
    : '; fractional class split';
  return `${dataset.name}: ${dataset.classNames.length} classes, ${dataset.rows.n} examples (${how}${split})`;
}

const rotatable = (dataset: ClassDataset, requested: boolean | undefined, fallback: boolean) =>
  (requested ?? fallback) && dataset.rows.spec.image !== undefined;

async function omniglot(path: string, opts: DatasetSourceOptions): Promise<ResolvedDataset> {
  const { dataset } = await loadOmniglot(path, { cacheDir: opts.cacheDir, resize: opts.resize });
  const rotations = rotatable(dataset, opts.rotations, true);
  const description = describe(dataset, 'Omniglot');
  return { dataset, rotations, description: `${description}${rotations && dataset.split ? ', test classes unrotated' : ''}` };
}

function synthetic(kind: string, opts: DatasetSourceOptions): ResolvedDataset {
  const make = SYNTHETIC[kind];
  if (!make) throw unknownSource(`synthetic:${kind}`, `synthetic kinds are ${Object.keys(SYNTHETIC).join(', ')}`);
  const dataset = make();
  return { dataset, rotations: rotatable(dataset, opts.rotations, false), description: describe(dataset, 'synthetic') };
}

async function fromPath(path: string, opts: DatasetSourceOptions): Promise<ResolvedDataset> {
  const folder = statSync(path).isDirectory() || /\.zip$/i.test(path);
  const dataset = folder ? await loadImageFolder(path, { cacheDir: opts.cacheDir, resize: opts.resize }) : await loadDataset(path);
  return { dataset, rotations: rotatable(dataset, opts.rotations, false), description: describe(dataset, folder ? 'image folder' : 'dataset file') };
}

function unknownSource(source: string, why: string): CoreError {
  return new CoreError('invalid_data', `unknown dataset source '${source}': ${why}; expected one of ${SOURCE_FORMS.join(', ')}`);
}

export async function resolveDatasetSource(source: string, opts: DatasetSourceOptions): Promise<ResolvedDataset> {
  const prefixed = /^([a-z]{2,}):(.*)$/.exec(source);
  if (prefixed) {
    const [, kind, rest] = prefixed;
    if (kind === 'synthetic') return synthetic(rest, opts);
    if ((kind === 'omniglot' || kind === 'huffpost') && !rest) throw unknownSource(source, `'${kind}:' needs a path`);
    if (kind === 'omniglot') return omniglot(rest, opts);
    if (kind === 'huffpost') {
      const dataset = await loadHuffPost(rest);
      return { dataset, rotations: false, description: describe(dataset, 'HuffPost headlines') };
    }
    if (!existsSync(source)) throw unknownSource(source, `no source kind '${kind}'`);
  }
  if (!existsSync(source)) throw unknownSource(source, 'no such file or directory');
  return fromPath(source, opts);
}
