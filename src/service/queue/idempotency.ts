// Idempotency-Key retries of POST /v1/jobs: a key names one job id, and a retry must repeat the
// request that created it.
import { createHash } from 'node:crypto';

/** What a retry is compared by. */
export const hashRequest = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex');

/**
 * Jobs of one Idempotency-Key share an id, so BullMQ itself refuses to create a second. Keys are
 * per tenant: another tenant's key names another job.
 */
export const idForKey = (tenant: string, key: string) => `job_${createHash('sha256').update(`${tenant}\n${key}`).digest('hex').slice(0, 32)}`;
