import { z } from 'zod';
import { ALGORITHMS, MAX_MODEL_PARAMS, NORMS, PHASES } from '../core.js';
import { BackendSummary, Timestamp } from './common.js';
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
      .optional()
      .meta({ description: `Model sizes; a model over ${MAX_MODEL_PARAMS.toLocaleString('en')} parameters is refused (422 model_too_large)` }),
    episode: z
      .strictObject({ ways: z.int().min(2).max(100), shots: positive().max(100), queries: positive().max(100) })
      .partial()
      .optional()
      .meta({
        description:
          'Classes with fewer than shots + queries examples are left out of sampling (see the job\'s sampling); ' +
          'a split left unable to form one episode is refused (422 degenerate_data)',
      }),
    inner: z.strictObject({ steps: z.int().min(0).max(100), lr: rate() }).partial().optional(),
    outer: z
      .strictObject({ lr: rate(), metaBatchSize: positive().max(1024), iterations: positive().max(1_000_000) })
      .partial()
      .optional(),
    validation: z.strictObject({ every: z.int().min(0), episodes: positive().max(10_000) }).partial().optional(),
    checkpointEvery: positive().optional(),
    seed: z.int().min(0).max(2 ** 31 - 1).optional(),
    evaluation: z.strictObject({ episodes: z.int().min(0).max(100_000), baselines: z.boolean() }).partial().optional().meta({
      description: 'Test episodes (default: one per 50 tasks meta-trained, 100 to 600) and whether both baselines are scored',
    }),
    crossValidation: z
      .strictObject({
        folds: z.int().min(2).max(100),
        iterations: positive().max(1_000_000).optional().meta({ description: "Meta-iterations of each fold's run (default outer.iterations)" }),
      })
      .optional()
      .meta({
        description:
          "K-fold meta-validation: each fold's run trains without one fold of the meta-train classes and is scored on them; " +
          'then the served model trains on all of them (the job makes folds + 1 runs)',
      }),
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
    phase: z.enum(PHASES),
    /** Test episodes scored so far while the finished run evaluates; null before. */
    evaluation: z.object({ done: z.int(), episodes: z.int() }).nullable(),
    baseline: z
      .object({ done: z.int(), steps: z.int() })
      .optional()
      .meta({ description: "Updates of the pre-trained baseline's supervised training so far, in the baseline phase" }),
    fold: z.object({ fold: z.int(), folds: z.int() }).optional().meta({ description: 'The fold whose run this is (1-based), in the cross-validation phase' }),
  })
  .meta({ id: 'Progress' });

const SplitSampling = z.object({
  classes: z.int().meta({ description: 'Classes (with rotations, views) the split gives this part' }),
  excluded: z.int().meta({ description: 'Of those, the classes left out of sampling: fewer examples than shots + queries' }),
});

export const Sampling = z
  .object({
    examplesPerClass: z.int().meta({ description: 'Examples a class needs to take part in an episode: shots + queries' }),
    train: SplitSampling,
    validation: SplitSampling,
    test: SplitSampling,
    excludedClasses: z
      .array(z.object({ name: z.string(), examples: z.int(), split: z.enum(['train', 'validation', 'test']) }))
      .meta({ description: 'The left-out classes (at most 20 listed)' }),
  })
  .meta({ id: 'Sampling', description: 'What the job samples from, decided when it was created' });

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
    backend: BackendSummary.optional(),
    sampling: Sampling.optional(),
    warnings: z.array(z.string()).meta({ description: 'What the job cannot do as asked (e.g. fewer evaluation ways than requested); it goes on' }),
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
