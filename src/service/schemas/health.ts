import { z } from 'zod';
import { BackendSummary } from './common.js';

export const Health = z.object({ status: z.literal('ok') });

export const Readiness = z
  .object({
    status: z.enum(['ready', 'not_ready']),
    redis: z.object({ ok: z.boolean(), latencyMs: z.number().nullable(), error: z.string().optional() }),
    backend: BackendSummary.extend({ error: z.string().optional() }).meta({ description: 'TensorFlow.js backend of the prediction process' }),
    workers: z.object({ count: z.int(), names: z.array(z.string()) }).meta({ description: 'Training workers connected to the queue' }),
    storage: z
      .object({ ok: z.boolean(), location: z.string(), error: z.string().optional() })
      .meta({ description: 'Where datasets and checkpoints live (a directory or s3://bucket/prefix), and whether it can be used' }),
    draining: z.literal(true).optional().meta({ description: 'Present while the server shuts down: it refuses new requests (503) and finishes those in flight' }),
  })
  .meta({ id: 'Readiness' });
