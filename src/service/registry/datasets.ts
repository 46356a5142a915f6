import type { Redis } from 'ioredis';
import type { ClassDataset, InputSpec, Modality } from '../core.js';
import { MODALITIES, resolveTextFeatures, saveDataset, type TextFeaturesConfig } from '../core-data.js';
import { newId } from '../ids.js';
import { storageKeys, type Storage } from '../storage/storage.js';
import { RecordStore } from './records.js';

export interface DatasetRecord {
  id: string;
  name: string;
  numClasses: number;
  numExamples: number;
  modalities: Modality[];
  /** The text features jobs on it use unless they choose; absent without text (and in older records). */
  text?: TextFeaturesConfig;
  classes: { name: string; examples: number }[];
  spec: InputSpec;
  /** Storage key of the dataset file. */
  key: string;
  createdAt: string;
}

export const datasetRegistry = (redis: Redis, prefix: string) => new RecordStore<DatasetRecord>(redis, prefix, 'dataset');
export type DatasetRegistry = ReturnType<typeof datasetRegistry>;

/** Writes `dataset` to storage and registers it; every way in (API, CLI importers) ends here. */
export async function storeDataset(storage: Storage, registry: DatasetRegistry, dataset: ClassDataset): Promise<DatasetRecord> {
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
    ...(spec.text ? { text: resolveTextFeatures(undefined, dataset) } : {}),
    classes: dataset.classNames.map((name, i) => ({ name, examples: counts[i] })),
    spec,
    key,
    createdAt: new Date().toISOString(),
  };
  await registry.create(record);
  return record;
}
