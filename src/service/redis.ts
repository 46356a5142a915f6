import { Redis, type RedisOptions } from 'ioredis';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** Reconnect attempts back off to this: a Redis that comes back is found within a second. */
const MAX_RECONNECT_DELAY_MS = 1000;
/** A command a connected Redis has not answered in this long fails (a hung server, a dead link). */
const CLIENT_COMMAND_TIMEOUT_MS = 5000;

/**
 * Two kinds of connection, both reconnecting forever in the background:
 * - `client` (the API's): lazy, so building the app (for tests, or to print the OpenAPI document)
 *   needs no Redis; and fail-fast — while Redis is away a command fails at once (before the
 *   first connection: at the first failed attempt), so a request answers 503 instead of hanging.
 * - `worker` (BullMQ workers, event streams, a training run): connects at once and waits for
 *   Redis however long it is away, as BullMQ requires. (A lazy connection's first connect would
 *   reject when Redis is down at start, and BullMQ would give up on it for good.)
 */
export function createRedis(url: string, role: 'client' | 'worker', name: string): Redis {
  const options: RedisOptions = {
    connectionName: name,
    retryStrategy: (attempt) => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS),
    ...(role === 'worker'
      ? { lazyConnect: false, maxRetriesPerRequest: null }
      : { lazyConnect: true, maxRetriesPerRequest: 0, commandTimeout: CLIENT_COMMAND_TIMEOUT_MS }),
  };
  const redis = new Redis(url, options);
  if (role === 'client') {
    // Commands wait only for the first (lazy) connection; once connected, a command sent while
    // Redis is away fails at once rather than at the next failed reconnect attempt.
    redis.once('ready', () => (redis.options.enableOfflineQueue = false));
  }
  // While Redis is away every reconnect attempt emits an error. Those reach callers as failed
  // commands and /readyz, whoever wants the events listens too; this stops ioredis printing each one.
  redis.on('error', () => {});
  return redis;
}

/** Why `error` kept `redis` from answering, for /readyz and health checks. */
export function redisProblem(redis: Redis, error: unknown): string {
  if (!isRedisUnavailable(error)) return error instanceof Error ? error.message : String(error);
  return `Redis at ${redis.options.host}:${redis.options.port} does not answer (connection ${redis.status})`;
}

const UNAVAILABLE_MESSAGES = ['Connection is closed.', 'Command timed out', "Stream isn't writeable"];

/** Whether `error` says Redis could not be reached (rather than that it refused a command). */
export function isRedisUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as NodeJS.ErrnoException).code;
  return (
    error.name === 'MaxRetriesPerRequestError' ||
    error.name === 'ConnectionClosedError' ||
    code === 'ECONNREFUSED' ||
    code === 'ECONNRESET' ||
    UNAVAILABLE_MESSAGES.some((m) => error.message.startsWith(m))
  );
}
