import type { ServiceConfig } from './config.js';

/**
 * Fork options for the service's children (training processor, prediction process): they load
 * TypeScript through tsx and read the same configuration as this process, from the environment.
 */
export function childOptions(config: ServiceConfig, redisUrl: string) {
  return {
    execArgv: ['--import', import.meta.resolve('tsx')],
    env: {
      ...process.env,
      REDIS_URL: redisUrl,
      FEWSHOT_REDIS_PREFIX: config.prefix,
      FEWSHOT_DATA_DIR: config.dataDir,
      // Empty means unset: a child never picks another store up from this process's environment.
      FEWSHOT_STORAGE: config.storage.kind === 's3' ? config.storage.url : '',
      FEWSHOT_S3_ENDPOINT: (config.storage.kind === 's3' && config.storage.endpoint) || '',
      FEWSHOT_CHECKPOINT_UPLOAD_ATTEMPTS: String(config.jobs.checkpointUploadAttempts),
      FEWSHOT_BACKEND: config.backend,
      ...(config.wasmThreads ? { FEWSHOT_WASM_THREADS: String(config.wasmThreads) } : {}),
      FEWSHOT_ADAPTATION_CACHE_SIZE: String(config.adaptationCacheSize),
      FEWSHOT_MODEL_CACHE_SIZE: String(config.modelCacheSize),
      // A child whose parent died is re-parented: it can tell by comparing its ppid with this.
      FEWSHOT_PARENT_PID: String(process.pid),
    },
  };
}
