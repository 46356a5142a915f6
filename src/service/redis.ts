import { Redis, type RedisOptions } from 'ioredis';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/**
 * Connections are lazy: nothing touches the network until the first command, so building the
 * app (for tests, or to print the OpenAPI document) needs no Redis.
 * `role: 'worker'` connections retry forever, as BullMQ workers require.
 */
export function createRedis(url: string, role: 'client' | 'worker', name: string): Redis {
  const options: RedisOptions = {
    lazyConnect: true,
    connectionName: name,
    maxRetriesPerRequest: role === 'worker' ? null : 2,
  };
  return new Redis(url, options);
}
