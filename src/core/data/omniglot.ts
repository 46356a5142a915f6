// Omniglot in the publisher's layout. Both sets are returned as ONE dataset plus the class
// ids of each set: the Lake et al. protocol splits by set (background / evaluation),
// while the MAML protocol draws 1,200 training characters from all 1,623; one dataset
// serves both, and the trainer takes a single dataset anyway.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CoreError } from '../errors.js';
import { loadImageFolder } from './image-folder.js';
import { strokesBeside, withOmniglotStrokes } from './omniglot-strokes.js';
import { concatRows } from './rows.js';
import { DEFAULT_STROKE_POINTS } from './strokes.js';
import type { ClassDataset, ResizeFilter } from './types.js';

export interface OmniglotOptions {
  /** Square side (default 28, the standard protocol). */
  imageSize?: number;
  /**
   * Default true: strokes become 1 on a 0 background (the PNGs are black on white). This
   * is how MAML and most few-shot code feed Omniglot, and it keeps the zero padding of
   * the conv net equal to blank paper. Recorded in the spec, so serving inverts uploads too.
   */
  invert?: boolean;
  /** Resampling filter (default DEFAULT_RESIZE). */
  resize?: ResizeFilter;
  cacheDir?: string;
  /**
   * Read the pen trajectories beside a single image set (strokes_background_small1.zip beside
   * images_background_small1.zip) as a second modality when they are there (default true).
   */
  strokes?: boolean;
  /** Points each drawing's strokes are resampled to (default 64). */
  strokePoints?: number;
}

export interface Omniglot {
  dataset: ClassDataset;
  /** Class ids of images_background (all classes when a single zip or folder was given). */
  background: number[];
  /** Class ids of images_evaluation (empty when it was not given). */
  evaluation: number[];
}

/** `<dir>/<set>.zip`, else an unzipped `<dir>/<set>/`, else nothing. */
function findSet(dir: string, set: string): string | undefined {
  return [join(dir, `${set}.zip`), join(dir, set)].find((path) => existsSync(path));
}

/**
 * `path` is the folder holding images_background(.zip) and images_evaluation(.zip), as
 * ../shared/datasets/omniglot, or one zip/folder of images such as
 * images_background_small1.zip (then every class counts as background, and the drawings'
 * strokes come along where the publisher ships them: only for the two small sets).
 */
export async function loadOmniglot(path: string, opts: OmniglotOptions = {}): Promise<Omniglot> {
  const folderOptions = { imageSize: opts.imageSize ?? 28, channels: 1 as const, invert: opts.invert ?? true, resize: opts.resize, cacheDir: opts.cacheDir };
  const isDir = existsSync(path) && statSync(path).isDirectory();
  const backgroundPath = isDir ? findSet(path, 'images_background') : undefined;
  if (!backgroundPath) {
    const images = await loadImageFolder(path, folderOptions);
    const strokes = opts.strokes === false ? undefined : strokesBeside(path);
    const dataset = strokes ? await withOmniglotStrokes(images, strokes, opts.strokePoints ?? DEFAULT_STROKE_POINTS) : images;
    return { dataset, background: dataset.classNames.map((_, i) => i), evaluation: [] };
  }
  const evaluationPath = findSet(path, 'images_evaluation');
  const background = await loadImageFolder(backgroundPath, folderOptions);
  const evaluation = evaluationPath ? await loadImageFolder(evaluationPath, folderOptions) : undefined;
  const sets = evaluation ? [background, evaluation] : [background];

  const classNames = sets.flatMap((set) => set.classNames);
  if (new Set(classNames).size !== classNames.length) throw new CoreError('invalid_data', 'Omniglot sets share a class name');
  const labels = new Int32Array(sets.reduce((n, set) => n + set.rows.n, 0));
  let row = 0;
  let classOffset = 0;
  for (const set of sets) {
    for (let i = 0; i < set.rows.n; i++) labels[row + i] = set.labels[i] + classOffset;
    row += set.rows.n;
    classOffset += set.classNames.length;
  }
  const ids = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);
  const backgroundIds = ids(0, background.classNames.length);
  // The publisher's protocol: meta-train on background, test on evaluation. Every 20th
  // background character is held out (deterministically) so keep-best validation has data.
  const split = evaluation
    ? {
        train: backgroundIds.filter((i) => i % 20 !== 19),
        validation: backgroundIds.filter((i) => i % 20 === 19),
        test: ids(background.classNames.length, evaluation.classNames.length),
      }
    : undefined;
  return {
    dataset: { name: 'omniglot', classNames, rows: concatRows(sets.map((set) => set.rows)), labels, ...(split ? { split } : {}) },
    background: ids(0, background.classNames.length),
    evaluation: ids(background.classNames.length, evaluation?.classNames.length ?? 0),
  };
}
