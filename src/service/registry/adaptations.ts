import type { Redis } from 'ioredis';
import type { ExampleInput } from '../schemas/common.js';

export interface AdaptationRecord {
  id: string;
  modelId: string;
  /** The model's tenant. */
  tenant: string;
  labels: string[];
  steps: number;
  /** Kept so any API process can rebuild the adapted weights when its cache lacks them. */
  support: ExampleInput[];
  expiresAt: string;
}

/** Adaptations expire on their own (Redis TTL); the adapted weights live in the prediction process. */
export class AdaptationRegistry {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(id: string) {
    return `${this.prefix}:adaptation:${id}`;
  }

  async create(record: AdaptationRecord): Promise<void> {
    const ttlMs = Date.parse(record.expiresAt) - Date.now();
    await this.redis.set(this.key(record.id), JSON.stringify(record), 'PX', Math.max(1, ttlMs));
  }

  async get(id: string): Promise<AdaptationRecord | null> {
    const json = await this.redis.get(this.key(id));
    return json === null ? null : (JSON.parse(json) as AdaptationRecord);
  }

  async delete(id: string): Promise<boolean> {
    return (await this.redis.del(this.key(id))) === 1;
  }
}
