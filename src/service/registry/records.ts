import type { Redis } from 'ioredis';

interface Stored {
  id: string;
  tenant: string;
  createdAt: string;
}

/**
 * JSON records of one kind under `prefix:kind:id`, indexed newest-first by a sorted set, and
 * by one per tenant. Every write is one MULTI, so a record never exists without its index
 * entries or vice versa.
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

  private index(tenant?: string) {
    return tenant === undefined ? `${this.prefix}:${this.kind}-index` : `${this.prefix}:${this.kind}-index:tenant:${tenant}`;
  }

  /** Stores `record` unless one with its id exists; says whether it did. */
  async create(record: T): Promise<boolean> {
    const score = Date.parse(record.createdAt);
    const [[, set]] = (await this.redis
      .multi()
      .set(this.key(record.id), JSON.stringify(record), 'NX')
      .zadd(this.index(), score, record.id)
      .zadd(this.index(record.tenant), score, record.id)
      .exec()) as [[Error | null, unknown], ...unknown[]];
    return set === 'OK';
  }

  async get(id: string): Promise<T | null> {
    const json = await this.redis.get(this.key(id));
    return json === null ? null : (JSON.parse(json) as T);
  }

  /** Newest first: every tenant's, or one tenant's; all of them with `limit` Infinity. */
  async list(tenant?: string, limit = 1000): Promise<T[]> {
    const ids = await this.redis.zrevrange(this.index(tenant), 0, Number.isFinite(limit) ? limit - 1 : -1);
    if (ids.length === 0) return [];
    const values = await this.redis.mget(ids.map((id) => this.key(id)));
    return values.flatMap((json) => (json === null ? [] : [JSON.parse(json) as T]));
  }

  async delete(record: T): Promise<boolean> {
    const [[, deleted]] = (await this.redis
      .multi()
      .del(this.key(record.id))
      .zrem(this.index(), record.id)
      .zrem(this.index(record.tenant), record.id)
      .exec()) as [[Error | null, number], ...unknown[]];
    return deleted === 1;
  }
}
