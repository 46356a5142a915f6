// HuffPost headlines (Bao et al., ICLR 2020) as a text dataset. Class index = the file's
// label id, so the published class split below applies to the dataset unchanged.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CoreError } from '../errors.js';
import { allocateRows, columns } from './rows.js';
import { storedTextWidth, type TextFeaturesConfig } from './text/features.js';
import { writeHashedText } from './text/hashing.js';
import type { ClassDataset } from './types.js';

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

/**
 * The published class split, as Bao et al.'s own loader defines it (`_get_huffpost_classes` in
 * their Distributional-Signatures repository): 0-19 meta-train, 20-24 validation, 25-40 test.
 */
export const HUFFPOST_SPLIT: { readonly train: readonly number[]; readonly validation: readonly number[]; readonly test: readonly number[] } = {
  train: range(0, 20),
  validation: range(20, 25),
  test: range(25, 41),
};

function invalid(file: string, line: number, reason: string): CoreError {
  return new CoreError('invalid_data', `${file} line ${line}: ${reason}`);
}

/**
 * `dir` holds huffpost.json (JSON lines {raw, label}) and labels.tsv (id TAB name). `text` is the
 * text features runs on it use unless they choose (see ClassDataset.textFeatures).
 */
export async function loadHuffPost(dir: string, opts: { text?: TextFeaturesConfig } = {}): Promise<ClassDataset> {
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

  const rows = allocateRows({ text: { features: storedTextWidth(opts.text) } }, records.length);
  const [text] = columns(rows);
  records.forEach((record, i) => writeHashedText(record.raw, text.data.subarray(i * text.width, (i + 1) * text.width)));
  text.present.fill(1);
  return {
    name: 'huffpost',
    classNames,
    rows,
    labels: Int32Array.from(records, (r) => r.label),
    split: HUFFPOST_SPLIT,
    texts: records.map((r) => r.raw),
    ...(opts.text ? { textFeatures: opts.text } : {}),
  };
}
