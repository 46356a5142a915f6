import type { ServiceConfig } from '../config.js';
import { LocalStorage } from './local.js';
import { S3Storage } from './s3.js';
import type { Storage } from './storage.js';

/** The configured store; with S3, FEWSHOT_DATA_DIR is this process's local cache of it. */
export function openStorage(config: ServiceConfig): Storage {
  const { storage } = config;
  return storage.kind === 's3' ? new S3Storage(storage, config.dataDir) : new LocalStorage(config.dataDir);
}
