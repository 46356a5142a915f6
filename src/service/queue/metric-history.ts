// A job's metric history in Redis: one list of points per job, oldest first, beside an index
// of the jobs that have one, so histories of jobs BullMQ removed (retention) can be swept.
import type { Redis } from 'ioredis';
import type { MetricPoint } from '../schemas/job-metrics.js';
import { pointOrder } from './metric-sampler.js';

export class MetricHistory {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(jobId: string) {
    return `${this.prefix}:job-metrics:${jobId}`;
  }

  private get index() {
    return `${this.prefix}:job-metrics-index`;
  }

  /**
   * A new attempt of the job starts at `first`: points at or after it were written by an
   * attempt that died past its last checkpoint, and are about to be computed again.
   */
  async restart(jobId: string, first: Pick<MetricPoint, 'iteration' | 'phase'>): Promise<void> {
    const points = await this.read(jobId);
    const keep = points.findIndex((point) => pointOrder(point) >= pointOrder(first));
    if (keep === 0) await this.redis.del(this.key(jobId));
    else if (keep > 0) await this.redis.ltrim(this.key(jobId), 0, keep - 1);
  }

  async append(jobId: string, point: MetricPoint): Promise<void> {
    await this.redis
      .multi()
      .rpush(this.key(jobId), JSON.stringify(point))
      .zadd(this.index, 'NX', Date.parse(point.time), jobId)
      .exec();
  }

  /** Oldest first; with `after`, only points past that iteration. */
  async read(jobId: string, after = -Infinity): Promise<MetricPoint[]> {
    const points = (await this.redis.lrange(this.key(jobId), 0, -1)).map((json) => JSON.parse(json) as MetricPoint);
    return points.filter((point) => point.iteration > after);
  }

  async remove(jobIds: string[]): Promise<void> {
    if (jobIds.length === 0) return;
    await this.redis
      .multi()
      .del(...jobIds.map((id) => this.key(id)))
      .zrem(this.index, ...jobIds)
      .exec();
  }

  /** Removes the histories of jobs whose BullMQ key (`jobKey(id)`) is gone; returns their ids. */
  async sweep(jobKey: (jobId: string) => string): Promise<string[]> {
    const ids = await this.redis.zrange(this.index, 0, '-1');
    if (ids.length === 0) return [];
    const exists = (await this.redis.pipeline(ids.map((id) => ['exists', jobKey(id)])).exec()) ?? [];
    const gone = ids.filter((_, i) => exists[i]?.[1] === 0);
    await this.remove(gone);
    return gone;
  }
}
