import type { Redis } from 'ioredis';
import type { ClassDataset, ClassSplitHint, InputSpec, Modality } from '../core.js';
import { MODALITIES, saveDataset } from '../core-data.js';
import { newId } from '../ids.js';
import { pickTextSamples } from '../preview/text-samples.js';
import { storageKeys, type Storage } from '../storage/storage.js';
import { RecordStore } from './records.js';

export interface DatasetRecord {
  id: string;
  name: string;
  numClasses: number;
  numExamples: number;
  modalities: Modality[];
  classes: { name: string; examples: number }[];
  spec: InputSpec;
  /** Storage key of the dataset file. */
  key: string;
  createdAt: string;
  /** The class split the data's publisher defines (class indices), which training follows. */
  split?: ClassSplitHint;
  /** A few lines of each class (by class index) for a dataset made from texts. */
  textSamples?: string[][];
}

export const datasetRegistry = (redis: Redis, prefix: string) => new RecordStore<DatasetRecord>(redis, prefix, 'dataset');
export type DatasetRegistry = ReturnType<typeof datasetRegistry>;

/**
 * Writes `dataset` to storage and registers it; every way in (API, CLI importers) ends here.
 * `texts[i]` is row i's raw text, where the caller still has it.
 */
export async function storeDataset(
  storage: Storage,
  registry: DatasetRegistry,
  dataset: ClassDataset,
  texts: readonly (string | undefined)[] = [],
): Promise<DatasetRecord> {
  const id = newId('ds');
  const key = storageKeys.dataset(id);
  await saveDataset(await storage.path(key), dataset);
  const counts = new Array<number>(dataset.classNames.length).fill(0);
  for (const label of dataset.labels) counts[label]++;
  const spec = dataset.rows.spec;
  const record: DatasetRecord = {
    id,
    name: dataset.name,
    numClasses: dataset.classNames.length,
    numExamples: dataset.rows.n,
    modalities: MODALITIES.filter((m) => spec[m] !== undefined),
    classes: dataset.classNames.map((name, i) => ({ name, examples: counts[i] })),
    spec,
    key,
    createdAt: new Date().toISOString(),
  };
  if (dataset.split) record.split = dataset.split;
  const textSamples = pickTextSamples(dataset.labels, texts, dataset.classNames.length);
  if (textSamples) record.textSamples = textSamples;
  await registry.create(record);
  return record;
}
