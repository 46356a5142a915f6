// A user's cancel is a flag in Redis beside the job, not a BullMQ state: the worker checks it
// between meta-iterations (processor.ts), and a queued job with it raised reads as cancelled.
import type { Redis } from 'ioredis';
import { cancelKey } from './types.js';

export class CancelFlags {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    /** A flag lasts as long as a finished job is kept. */
    private readonly ttlSeconds: number,
  ) {}

  /** When job `id`'s cancel was asked for (ISO time), or null. */
  get(id: string): Promise<string | null> {
    return this.redis.get(cancelKey(this.prefix, id));
  }

  async getMany(ids: readonly string[]): Promise<(string | null)[]> {
    return ids.length ? this.redis.mget(ids.map((id) => cancelKey(this.prefix, id))) : [];
  }

  async raise(id: string): Promise<void> {
    await this.redis.set(cancelKey(this.prefix, id), new Date().toISOString(), 'EX', this.ttlSeconds);
  }
}
