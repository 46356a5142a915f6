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
      FEWSHOT_BACKEND: config.backend,
      ...(config.wasmThreads ? { FEWSHOT_WASM_THREADS: String(config.wasmThreads) } : {}),
      FEWSHOT_ADAPTATION_CACHE_SIZE: String(config.adaptationCacheSize),
      FEWSHOT_MODEL_CACHE_SIZE: String(config.modelCacheSize),
    },
  };
}
