// Artifacts (dataset files, checkpoints) by key, e.g. "datasets/ds_1/data.fsd". The core reads
// and writes local paths, so the interface hands out local paths: an object-store
// implementation would materialise keys in a local cache and upload what writers leave there.

export interface Storage {
  /** Local path of `key` (its parent directory exists once this resolves). */
  path(key: string): Promise<string>;
  /** The key of a path handed out by `path` (or a path below one). */
  keyOf(path: string): string;
  exists(key: string): Promise<boolean>;
  /** Removes `key` and everything below it; a missing key is not an error. */
  remove(key: string): Promise<void>;
}

/** Where each kind of artifact lives. */
export const storageKeys = {
  dataset: (id: string) => `datasets/${id}/data.fsd`,
  datasetDir: (id: string) => `datasets/${id}`,
  /** The directory trainRun writes a job's checkpoints to. */
  run: (jobId: string) => `runs/${jobId}`,
};
