// GET /v1/jobs/:id/metrics: the job's learning curve, as JSON or (Accept: text/csv) CSV.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { visible } from '../../../access.js';
import type { AppDeps } from '../../../deps.js';
import { notFound } from '../../../errors.js';
import { principal } from '../../../plugins/auth.js';
import { errors, IdParams } from '../../../schemas/common.js';
import { JobMetrics, JobMetricsQuery, type MetricPoint } from '../../../schemas/job-metrics.js';

const COLUMNS: readonly (readonly [string, keyof MetricPoint])[] = [
  ['iteration', 'iteration'],
  ['phase', 'phase'],
  ['loss', 'loss'],
  ['accuracy', 'accuracy'],
  ['validation_accuracy', 'validationAccuracy'],
  ['tasks_per_second', 'tasksPerSecond'],
  ['time', 'time'],
];

/** No field needs quoting: numbers, a phase name, an ISO time. A missing value is an empty cell. */
export function toCsv(points: readonly MetricPoint[]): string {
  const cell = (value: MetricPoint[keyof MetricPoint]) => (value === null || (typeof value === 'number' && !Number.isFinite(value)) ? '' : String(value));
  const rows = points.map((point) => COLUMNS.map(([, field]) => cell(point[field])).join(','));
  return [COLUMNS.map(([name]) => name).join(','), ...rows].join('\n') + '\n';
}

const wantsCsv = (accept: string | undefined) => accept !== undefined && /(^|[\s,])text\/csv\b/.test(accept);

const jobMetricsRoutes: FastifyPluginAsyncZod<{ deps: AppDeps }> = async (app, { deps }) => {
  app.get(
    '/:id/metrics',
    {
      config: { scope: 'train' },
      schema: {
        summary: "A job's metric history: loss, accuracy, validation accuracy and speed by iteration",
        description: 'JSON by default; `Accept: text/csv` gives the same points as CSV with a header row.',
        tags: ['jobs'],
        params: IdParams,
        querystring: JobMetricsQuery,
        response: {
          200: {
            description: 'The history, oldest first',
            content: { 'application/json': { schema: JobMetrics }, 'text/csv': { schema: z.string() } },
          },
          ...errors(404),
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      visible(principal(request), await deps.jobs.get(id), 'job', id);
      const points = await deps.jobs.metrics(id, request.query.after);
      if (!points) throw notFound('job', id);
      if (wantsCsv(request.headers.accept)) {
        return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${id}-metrics.csv"`).send(toCsv(points));
      }
      return reply.type('application/json').send({ jobId: id, points });
    },
  );
};

export default jobMetricsRoutes;
