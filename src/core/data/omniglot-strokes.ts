// Omniglot's pen trajectories (strokes_background_small1/2.zip beside the matching images):
// one text file per drawing at the image's path with .txt, lines 'START', then 'x,y,t' points,
// 'BREAK' after each stroke. The files store y negated (up is positive); the strokes modality
// takes y pointing down, as the images have it, so y is flipped back here.
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, join, sep } from 'node:path';
import { unzipSync } from 'fflate';
import { CoreError } from '../errors.js';
import { allocateRows, columns, fromColumns } from './rows.js';
import { strokesProblem, writeStrokes, type Strokes } from './strokes.js';
import type { ClassDataset } from './types.js';

/** images_background_small1.zip -> strokes_background_small1.zip (or an unzipped folder), when there. */
export function strokesBeside(imagesPath: string): string | undefined {
  const name = basename(imagesPath);
  if (!name.startsWith('images_')) return undefined;
  const stem = name.replace(/^images_/, 'strokes_').replace(/\.zip$/i, '');
  return [join(dirname(imagesPath), `${stem}.zip`), join(dirname(imagesPath), stem)].find((path) => existsSync(path));
}

function parseDrawing(text: string, file: string): Strokes {
  const strokes: number[][][] = [];
  let current: number[][] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line === 'START') continue;
    if (line === 'BREAK') {
      if (current.length) strokes.push(current);
      current = [];
      continue;
    }
    current.push(line.split(',').map(Number));
  }
  if (current.length) strokes.push(current);
  const flipped = strokes.map((stroke) => stroke.map(([x, y, t]) => [x, -y, t]));
  const problem = strokesProblem(flipped);
  if (problem) throw new CoreError('invalid_data', `${file}: ${problem}`);
  return flipped;
}

/** Drawings by class ('Alphabet/characterNN'), each class's in file-name order. */
async function readDrawings(path: string): Promise<Map<string, Strokes[]>> {
  const isDrawing = (file: string) => file.endsWith('.txt') && !file.split('/').some((s) => s.startsWith('.') || s === '__MACOSX');
  let files: [string, string][];
  if (path.toLowerCase().endsWith('.zip')) {
    let unzipped: Record<string, Uint8Array>;
    try {
      unzipped = unzipSync(await readFile(path), { filter: (file) => isDrawing(file.name) });
    } catch (error) {
      throw new CoreError('invalid_data', `cannot read zip ${path}: ${(error as Error).message}`);
    }
    const decoder = new TextDecoder();
    files = Object.entries(unzipped).map(([name, bytes]) => [name, decoder.decode(bytes)]);
  } else {
    const names = (await readdir(path, { recursive: true })).map((p) => p.split(sep).join('/')).filter(isDrawing);
    files = await Promise.all(names.map(async (name): Promise<[string, string]> => [name, await readFile(join(path, name), 'utf8')]));
  }
  files.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const byClass = new Map<string, Strokes[]>();
  for (const [name, text] of files) {
    // <set>/<Alphabet>/<characterNN>/<file>.txt: the class is the two folders above the file.
    const className = name.split('/').slice(-3, -1).join('/');
    const drawings = byClass.get(className) ?? byClass.set(className, []).get(className)!;
    drawings.push(parseDrawing(text, name));
  }
  return byClass;
}

/**
 * `dataset` (Omniglot images, rows grouped by class in file-name order, as the image-folder
 * import makes them) with a strokes column from the trajectory files at `path`. Every class
 * must have exactly as many drawings as images: the rows pair up in order.
 */
export async function withOmniglotStrokes(dataset: ClassDataset, path: string, points: number): Promise<ClassDataset> {
  const drawings = await readDrawings(path);
  const { n } = dataset.rows;
  const images = new Array<number>(dataset.classNames.length).fill(0);
  for (const label of dataset.labels) images[label]++;
  dataset.classNames.forEach((className, label) => {
    const found = drawings.get(className)?.length ?? 0;
    if (found !== images[label]) throw new CoreError('invalid_data', `${path}: class ${className} has ${found} stroke files for ${images[label]} images`);
  });
  const strokes = columns(allocateRows({ strokes: { points } }, n))[0];
  const taken = new Array<number>(dataset.classNames.length).fill(0);
  for (let row = 0; row < n; row++) {
    const label = dataset.labels[row];
    const drawing = drawings.get(dataset.classNames[label])![taken[label]++];
    writeStrokes(drawing, points, strokes.data.subarray(row * strokes.width, (row + 1) * strokes.width));
    strokes.present[row] = 1;
  }
  const spec = { ...dataset.rows.spec, strokes: { points } };
  return { ...dataset, rows: fromColumns(spec, n, [...columns(dataset.rows), strokes]) };
}
