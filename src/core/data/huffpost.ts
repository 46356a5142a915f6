// HuffPost headlines (Bao et al., ICLR 2020) as a text dataset. Class index = the file's
// label id, so the published class split below applies to the dataset unchanged.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CoreError } from '../errors.js';
import { allocateRows, columns } from './rows.js';
import { TEXT_FEATURES, writeTextFeatures } from './text-features.js';
import type { ClassDataset } from './types.js';

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

/** The standard class split: 0-4 validation, 5-24 meta-train, 25-40 test. */
export const HUFFPOST_SPLIT: { readonly train: readonly number[]; readonly validation: readonly number[]; readonly test: readonly number[] } = {
  validation: range(0, 5),
  train: range(5, 25),
  test: range(25, 41),
};

function invalid(file: string, line: number, reason: string): CoreError {
  return new CoreError('invalid_data', `${file} line ${line}: ${reason}`);
}

/** `dir` holds huffpost.json (JSON lines {raw, label}) and labels.tsv (id TAB name). */
export async function loadHuffPost(dir: string, opts: { textFeatures?: number } = {}): Promise<ClassDataset> {
  const classNames: string[] = [];
  const labelFile = join(dir, 'labels.tsv');
  (await readFile(labelFile, 'utf8')).split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const [id, name] = line.split('\t');
    if (Number(id) !== classNames.length || !name) throw invalid(labelFile, i + 1, 'expected "<next id>\\t<name>"');
    classNames.push(name.trim());
  });

  const dataFile = join(dir, 'huffpost.json');
  const lines = (await readFile(dataFile, 'utf8')).split('\n');
  const records = lines.flatMap((line, i) => {
    if (line.trim() === '') return [];
    let record: { raw?: unknown; label?: unknown };
    try {
      record = (JSON.parse(line) ?? {}) as typeof record;
    } catch {
      throw invalid(dataFile, i + 1, 'not JSON');
    }
    const { raw, label } = record;
    if (typeof raw !== 'string' || !Number.isInteger(label) || (label as number) < 0 || (label as number) >= classNames.length) {
      throw invalid(dataFile, i + 1, `expected {"raw": string, "label": 0..${classNames.length - 1}}`);
    }
    return [{ raw, label: label as number }];
  });

  const rows = allocateRows({ text: { features: opts.textFeatures ?? TEXT_FEATURES } }, records.length);
  const [text] = columns(rows);
  records.forEach((record, i) => writeTextFeatures(record.raw, text.data.subarray(i * text.width, (i + 1) * text.width)));
  text.present.fill(1);
  return { name: 'huffpost', classNames, rows, labels: Int32Array.from(records, (r) => r.label), split: HUFFPOST_SPLIT };
}
