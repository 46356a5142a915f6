import { z } from 'zod';
import { ALGORITHMS, NORMS } from '../core.js';
import { Timestamp } from './common.js';
import { TextFeatures } from './datasets.js';

const positive = () => z.int().min(1);
const rate = () => z.number().positive().max(100);

export const CreateJobBody = z
  .strictObject({
    datasetId: z.string().min(1),
    algorithm: z.enum(ALGORITHMS),
    model: z
      .strictObject({
        filters: positive().max(512).optional(),
        hidden: z.array(positive().max(8192)).min(1).max(8).optional(),
        fusionDim: positive().max(4096).optional(),
        norm: z.enum(NORMS).optional().meta({
          description:
            "Normalisation of the image and strokes encoders: 'tasknorm' (support-set moments blended with each example's own by a learned weight), 'support' (support-set moments) or 'instance' (each example's own)",
        }),
      })
      .optional(),
    episode: z
      .strictObject({ ways: z.int().min(2).max(100), shots: positive().max(100), queries: positive().max(100) })
      .partial()
      .optional(),
    inner: z.strictObject({ steps: z.int().min(0).max(100), lr: rate() }).partial().optional(),
    outer: z
      .strictObject({ lr: rate(), metaBatchSize: positive().max(1024), iterations: positive().max(1_000_000) })
      .partial()
      .optional(),
    validation: z.strictObject({ every: z.int().min(0), episodes: positive().max(10_000) }).partial().optional(),
    checkpointEvery: positive().optional(),
    seed: z.int().min(0).max(2 ** 31 - 1).optional(),
    evaluation: z.strictObject({ episodes: z.int().min(0).max(100_000), baselines: z.boolean() }).partial().optional(),
    split: z
      .strictObject({ train: z.number().gt(0).lt(1), validation: z.number().min(0).lt(1), test: z.number().gt(0).lt(1) })
      .optional()
      .meta({ description: 'Fractions of classes for meta-train / validation / test' }),
    rotations: z.boolean().optional().meta({ description: 'Add 90/180/270° rotations of image classes as new classes' }),
    text: TextFeatures.partial().optional().meta({
      description: "Text features for this job; unset fields come from the dataset's choice",
    }),
  })
  .meta({ id: 'CreateJob' });

export type CreateJobInput = z.output<typeof CreateJobBody>;

export const JOB_STATUSES = ['queued', 'running', 'completed', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const Progress = z
  .object({
    iteration: z.int(),
    iterations: z.int(),
    loss: z.number(),
    accuracy: z.number(),
    validationAccuracy: z.number().nullable(),
    tasksPerSecond: z.number(),
    etaSeconds: z.number(),
    phase: z.enum(['meta-training', 'evaluation']),
    /** Test episodes scored so far while the finished run evaluates; null before. */
    evaluation: z.object({ done: z.int(), episodes: z.int() }).nullable(),
  })
  .meta({ id: 'Progress' });

export const Job = z
  .object({
    id: z.string(),
    status: z.enum(JOB_STATUSES),
    datasetId: z.string(),
    tenant: z.string(),
    algorithm: z.enum(ALGORITHMS),
    progress: Progress.nullable(),
    checkpoints: z.array(z.int()).meta({ description: 'Iterations at which checkpoints were written' }),
    modelId: z.string().optional(),
    error: z.string().optional(),
    backend: z.object({ name: z.string(), device: z.string().nullable() }).optional(),
    attempts: z.int().meta({ description: 'Times a worker started this job (more than 1 after a worker died)' }),
    createdAt: Timestamp,
    startedAt: Timestamp.optional(),
    finishedAt: Timestamp.optional(),
  })
  .meta({ id: 'Job' });

export type JobView = z.output<typeof Job>;

export const JobAccepted = z.object({ id: z.string(), status: z.enum(JOB_STATUSES) });
export const JobList = z.object({ jobs: z.array(Job) });
export const JobListQuery = z.strictObject({
  status: z.enum(JOB_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export const IdempotencyHeaders = z.object({
  'idempotency-key': z.string().min(1).max(200).optional().meta({
    description: 'Retrying a POST with the same key returns the job the first one created',
  }),
});
