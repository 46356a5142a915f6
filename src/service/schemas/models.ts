import { z } from 'zod';
import { ALGORITHMS } from '../core.js';
import { BackendSummary, Example, Prediction, Query, Steps, Timestamp } from './common.js';

const Accuracy = z
  .object({ mean: z.number(), ci95: z.number().meta({ description: 'Half-width of the 95% confidence interval' }) })
  .meta({ id: 'Accuracy' });

const Evaluation = z
  .object({
    episodes: z.int(),
    ways: z.int(),
    shots: z.int(),
    queries: z.int(),
    accuracy: Accuracy,
    baselines: z
      .object({
        scratch: Accuracy.meta({ description: 'The network trained from scratch on each support set' }),
        pretrained: Accuracy.meta({ description: 'Supervised pre-training on the meta-train classes, head fine-tuned' }),
      })
      .nullable(),
    timing: z
      .object({
        seconds: z.number(),
        baselineSeconds: z.number().meta({ description: "The pre-trained baseline's supervised training" }),
        msPerEpisode: z.number().meta({ description: 'Scoring one test episode, every method' }),
        methodMsPerEpisode: z.object({ meta: z.number(), scratch: z.number().nullable(), pretrained: z.number().nullable() }),
      })
      .optional()
      .meta({ description: 'Wall time of the evaluation (absent for models evaluated before it was measured)' }),
    warnings: z.array(z.string()).optional().meta({ description: 'Where the evaluation could not do what was asked' }),
  })
  .meta({ id: 'Evaluation', description: 'Held-out test classes, same episodes for the model and both baselines' });

const CrossValidation = z
  .object({
    folds: z.array(
      z.object({
        fold: z.int(),
        trainClasses: z.int(),
        heldOutClasses: z.int(),
        evaluation: z.object({ episodes: z.int(), ways: z.int(), accuracy: Accuracy }).nullable(),
        iterations: z.int(),
        seconds: z.number(),
      }),
    ),
    accuracy: z
      .object({ mean: z.number(), std: z.number().meta({ description: "Standard deviation of the folds' accuracies" }) })
      .nullable(),
  })
  .meta({
    id: 'CrossValidation',
    description: "K-fold meta-validation: each fold's run trained without its held-out meta-train classes and was scored on them",
  });

export const ModelSummary = z
  .object({
    id: z.string(),
    jobId: z.string(),
    datasetId: z.string(),
    datasetName: z.string(),
    algorithm: z.enum(ALGORITHMS),
    accuracy: Accuracy.nullable(),
    tenant: z.string(),
    bytes: z.int().meta({ description: 'Size of its stored checkpoints' }),
    createdAt: Timestamp,
  })
  .meta({ id: 'ModelSummary' });

export const Model = ModelSummary.extend({
  config: z.record(z.string(), z.unknown()).meta({ description: 'The full training configuration' }),
  evaluation: Evaluation.nullable(),
  bestValidationAccuracy: z.number().nullable(),
  iterations: z.int(),
  checkpoints: z.array(z.object({ iteration: z.int() })),
  backend: BackendSummary.nullable(),
  crossValidation: CrossValidation.nullable(),
  warnings: z.array(z.string()).meta({ description: "The job's warnings" }),
}).meta({ id: 'Model' });

export const ModelList = z.object({ models: z.array(ModelSummary) });

const Support = z.array(Example).min(2).meta({ description: 'Labelled examples of at least two labels' });
const Queries = z.array(Query).min(1);

export const PredictBody = z.strictObject({ support: Support, queries: Queries, steps: Steps }).meta({ id: 'PredictRequest' });

export const Predictions = z.object({ predictions: z.array(Prediction) });

export const PredictResponse = Predictions.extend({
  adaptation: z.object({ steps: z.int(), ms: z.number() }),
}).meta({ id: 'PredictResponse' });

export const CreateAdaptationBody = z.strictObject({ support: Support, steps: Steps }).meta({ id: 'CreateAdaptation' });

export const Adaptation = z
  .object({
    id: z.string(),
    modelId: z.string(),
    tenant: z.string(),
    labels: z.array(z.string()),
    steps: z.int(),
    expiresAt: Timestamp,
  })
  .meta({ id: 'Adaptation' });

export const AdaptationPredictBody = z.strictObject({ queries: Queries }).meta({ id: 'AdaptationPredictRequest' });
