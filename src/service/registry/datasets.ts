import { stat } from 'node:fs/promises';
import type { Redis } from 'ioredis';
import { MODALITIES, resolveTextFeatures, saveDataset, type ClassDataset, type ClassSplitHint, type InputSpec, type Modality, type TextFeaturesConfig } from '../core.js';
import { newId } from '../ids.js';
import { asStorageFailure, storageKeys, type Storage } from '../storage/storage.js';
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
  tenant: string;
  /** Storage key of the dataset file, and its size. */
  key: string;
  bytes: number;
  createdAt: string;
  /** The class split the data's publisher defines (class indices), which training follows. */
  split?: ClassSplitHint;
}

export const datasetRegistry = (redis: Redis, prefix: string) => new RecordStore<DatasetRecord>(redis, prefix, 'dataset');
export type DatasetRegistry = ReturnType<typeof datasetRegistry>;

/** Runs the registration of a dataset of `bytes` bytes, or refuses it (a tenant's storage cap). */
export type Admit = (bytes: number, register: () => Promise<void>) => Promise<void>;


/**
 * Writes `dataset` to storage and registers it for `tenant`; every way in (API, CLI importers)
 * ends here. The file is stored before the record exists, and removed if anything fails, so a
 * failed upload leaves neither a record nor a file behind.
 */
export async function storeDataset(
  storage: Storage,
  registry: DatasetRegistry,
  dataset: ClassDataset,
  tenant: string,
  admit: Admit = (_, register) => register(),
): Promise<DatasetRecord> {
  const id = newId('ds');
  const key = storageKeys.dataset(id);
  try {
    const path = await storage.localPath(key);
    await saveDataset(path, dataset);
    const { size } = await stat(path);
    await storage.publish(key);
    const record = datasetRecord(id, key, size, tenant, dataset);
    await admit(size, async () => {
      await registry.create(record);
    });
    return record;
  } catch (error) {
    await storage.remove(storageKeys.datasetDir(id)).catch(() => {});
    throw asStorageFailure(error, 'storing the dataset');
  }
}

function datasetRecord(id: string, key: string, bytes: number, tenant: string, dataset: ClassDataset): DatasetRecord {
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
    tenant,
    key,
    bytes,
    createdAt: new Date().toISOString(),
  };
  if (dataset.split) record.split = dataset.split;
  return record;
}
