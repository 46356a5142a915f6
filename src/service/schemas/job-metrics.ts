import { z } from 'zod';
import { Progress } from './jobs.js';
import { Timestamp } from './common.js';

// A diverged run's NaN loss reaches JSON as null.
const measured = () => z.number().nullable();

export const MetricPoint = z
  .object({
    iteration: z.int(),
    phase: Progress.shape.phase,
    loss: measured().meta({ description: 'Mean meta-training query loss over the iterations since the previous point' }),
    accuracy: measured().meta({ description: 'Mean meta-training query accuracy over the same iterations' }),
    validationAccuracy: measured().meta({ description: 'Measured at this iteration; null where no validation ran' }),
    tasksPerSecond: z.number(),
    time: Timestamp,
  })
  .meta({ id: 'MetricPoint' });
export type MetricPoint = z.output<typeof MetricPoint>;

export const JobMetrics = z
  .object({ jobId: z.string(), points: z.array(MetricPoint) })
  .meta({
    id: 'JobMetrics',
    description:
      'Oldest first. One point per iteration up to 2000 iterations; longer runs keep one per window of iterations, and ' +
      'at most 2000 validations. Later phases (evaluation) add a point where they start and where they end.',
  });

export const JobMetricsQuery = z.strictObject({
  after: z.coerce.number().int().min(0).optional().meta({ description: 'Only points past this iteration' }),
});
