// Per-tenant caps (0 = unlimited): jobs queued or running, and bytes stored (datasets and
// models' checkpoints). A check and the write it admits run under a short per-tenant lock in
// Redis, so concurrent requests on any replica cannot overshoot a cap together.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { ServiceConfig } from './config.js';
import { ServiceError } from './errors.js';
import type { DatasetRegistry } from './registry/datasets.js';
import type { ModelRegistry } from './registry/models.js';

const LOCK_MS = 15_000;
const UNLOCK = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export class Quotas {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly limits: ServiceConfig['quotas'],
    private readonly datasets: DatasetRegistry,
    private readonly models: ModelRegistry,
    private readonly activeJobs: (tenant: string) => Promise<number>,
  ) {}

  async storedBytes(tenant: string): Promise<number> {
    const [datasets, models] = await Promise.all([this.datasets.list(tenant, Infinity), this.models.list(tenant, Infinity)]);
    return [...datasets, ...models].reduce((sum, r) => sum + r.bytes, 0);
  }

  private async locked<T>(tenant: string, run: () => Promise<T>): Promise<T> {
    const key = `${this.prefix}:lock:tenant:${tenant}`;
    const token = randomUUID();
    const deadline = Date.now() + LOCK_MS;
    while ((await this.redis.set(key, token, 'PX', LOCK_MS, 'NX')) !== 'OK') {
      if (Date.now() > deadline) throw new ServiceError('not_ready', `tenant ${tenant} is busy; retry the request`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    try {
      return await run();
    } finally {
      await this.redis.eval(UNLOCK, 1, key, token);
    }
  }

  private exceeded(quota: string, limit: number, used: number, message: string) {
    return new ServiceError('quota_exceeded', message, { quota, limit, used });
  }

  /** Runs `store` (which records `bytes` more for `tenant`) if the tenant's storage cap allows it. */
  admitStored<T>(tenant: string, bytes: number, store: () => Promise<T>): Promise<T> {
    const limit = this.limits.storedBytes;
    if (limit === 0) return store();
    return this.locked(tenant, async () => {
      const used = await this.storedBytes(tenant);
      if (used + bytes > limit) {
        throw this.exceeded('storedBytes', limit, used, `tenant ${tenant} stores ${used} of its ${limit} bytes; this needs ${bytes} more`);
      }
      return store();
    });
  }

  /** Runs `enqueue` if the tenant may start another job: under its active-job cap, with storage left for the model. */
  admitJob<T>(tenant: string, enqueue: () => Promise<T>): Promise<T> {
    const { activeJobs, storedBytes } = this.limits;
    if (activeJobs === 0 && storedBytes === 0) return enqueue();
    return this.locked(tenant, async () => {
      if (activeJobs > 0) {
        const active = await this.activeJobs(tenant);
        if (active >= activeJobs) {
          throw this.exceeded('activeJobs', activeJobs, active, `tenant ${tenant} has ${active} queued or running jobs, its limit`);
        }
      }
      if (storedBytes > 0) {
        const used = await this.storedBytes(tenant);
        if (used >= storedBytes) {
          throw this.exceeded('storedBytes', storedBytes, used, `tenant ${tenant} stores ${used} of its ${storedBytes} bytes: no room for a model`);
        }
      }
      return enqueue();
    });
  }
}
