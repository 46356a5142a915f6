import type { Redis } from 'ioredis';

interface Stored {
  id: string;
  createdAt: string;
}

/**
 * JSON records of one kind under `prefix:kind:id`, indexed newest-first by a sorted set.
 * Every write is one MULTI, so a record never exists without its index entry or vice versa.
 */
export class RecordStore<T extends Stored> {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly kind: string,
  ) {}

  private key(id: string) {
    return `${this.prefix}:${this.kind}:${id}`;
  }

  private get index() {
    return `${this.prefix}:${this.kind}-index`;
  }

  /** Stores `record` unless one with its id exists; says whether it did. */
  async create(record: T): Promise<boolean> {
    const [[, set]] = (await this.redis
      .multi()
      .set(this.key(record.id), JSON.stringify(record), 'NX')
      .zadd(this.index, Date.parse(record.createdAt), record.id)
      .exec()) as [[Error | null, unknown], ...unknown[]];
    return set === 'OK';
  }

  async get(id: string): Promise<T | null> {
    const json = await this.redis.get(this.key(id));
    return json === null ? null : (JSON.parse(json) as T);
  }

  /** Newest first. */
  async list(limit = 1000): Promise<T[]> {
    const ids = await this.redis.zrevrange(this.index, 0, limit - 1);
    if (ids.length === 0) return [];
    const values = await this.redis.mget(ids.map((id) => this.key(id)));
    return values.flatMap((json) => (json === null ? [] : [JSON.parse(json) as T]));
  }

  async delete(id: string): Promise<boolean> {
    const [[, deleted]] = (await this.redis.multi().del(this.key(id)).zrem(this.index, id).exec()) as [
      [Error | null, number],
      ...unknown[],
    ];
    return deleted === 1;
  }
}
