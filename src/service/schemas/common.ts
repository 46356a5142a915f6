// Shapes shared by several resources. Request objects are strict: a misspelt field is a
// 400 naming it, not silently ignored.
import { z } from 'zod';
import { MAX_PEN_POINTS } from '../core.js';

export const Timestamp = z.string().meta({ format: 'date-time', description: 'ISO 8601, UTC' });

export const ErrorResponse = z
  .object({
    error: z.object({
      code: z.string().meta({ description: 'Stable machine-readable code, e.g. validation_failed, not_found' }),
      message: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .meta({ id: 'Error' });

/** The error statuses a route can answer with, all in the one error shape. */
export const errors = (...statuses: (400 | 401 | 404 | 409 | 413 | 415 | 422 | 503)[]) =>
  Object.fromEntries(statuses.map((s) => [s, ErrorResponse]));

/** Which backend runs, on what (core BackendSummary). */
export const BackendSummary = z.object({ name: z.string(), device: z.string().nullable() });

export const IdParams = z.object({ id: z.string().min(1).max(100) });

const MAX_INPUT_CHARS = 20 * 1024 * 1024;

const inputs = {
  text: z.string().max(100_000).optional(),
  image: z
    .string()
    .min(1)
    .max(MAX_INPUT_CHARS)
    .optional()
    .meta({ description: 'PNG or JPEG, base64 or a data: URL; decoded and resized server-side' }),
  vector: z.array(z.number()).min(1).max(100_000).optional(),
  strokes: z
    .array(
      z
        .array(z.array(z.number()).min(2).max(3).meta({ description: '[x, y] or [x, y, t]' }))
        .min(1)
        .max(MAX_PEN_POINTS),
    )
    .min(1)
    .max(MAX_PEN_POINTS)
    .refine((strokes) => strokes.reduce((n, stroke) => n + stroke.length, 0) <= MAX_PEN_POINTS, {
      message: `at most ${MAX_PEN_POINTS} points over all strokes`,
    })
    .optional()
    .meta({
      description:
        'Pen strokes, each a list of points (x right, y down, any unit; t in ms is optional and unused); ' +
        'resampled to a fixed number of points and normalised for position and scale server-side',
    }),
};

const hasInput = (e: { text?: string; image?: string; vector?: number[]; strokes?: number[][][] }) =>
  e.text !== undefined || e.image !== undefined || e.vector !== undefined || e.strokes !== undefined;
const hasInputMessage = { message: 'an example needs at least one of text, image, vector, strokes' };

export const Example = z
  .strictObject({ label: z.string().min(1).max(200), ...inputs })
  .refine(hasInput, hasInputMessage)
  .meta({ id: 'Example', description: 'A labelled example; give any of its modalities' });

export const Query = z
  .strictObject(inputs)
  .refine(hasInput, hasInputMessage)
  .meta({ id: 'Query', description: 'An unlabelled example to classify' });

export type ExampleInput = z.output<typeof Example>;
export type QueryInput = z.output<typeof Query>;

export const Prediction = z
  .object({
    label: z.string(),
    confidence: z.number(),
    scores: z.record(z.string(), z.number()).meta({ description: 'Probability of every support label' }),
  })
  .meta({ id: 'Prediction' });

export const Steps = z.int().min(0).max(200).optional().meta({
  description: 'Inner-loop adaptation steps; defaults to the model training setting',
});
