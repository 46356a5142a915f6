import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { checkModelBudget, defaultTrainConfig, planSampling, resolveTextFeatures, type TrainConfig } from '../../../core.js';
import { listedTenant, visible } from '../../../access.js';
import type { DatasetRecord } from '../../../registry/datasets.js';
import type { AppDeps } from '../../../deps.js';
import { ServiceError } from '../../../errors.js';
import { principal } from '../../../plugins/auth.js';
import { isTerminal } from '../../../queue/train-queue.js';
import { errors, IdParams } from '../../../schemas/common.js';
import { CreateJobBody, IdempotencyHeaders, Job, JobAccepted, JobList, JobListQuery, type CreateJobInput } from '../../../schemas/jobs.js';
import { streamJobEvents } from './events.js';

/** The job's full configuration; text features resolved here so the job and its model show them. */
function trainConfig({ datasetId: _, ...request }: CreateJobInput, dataset: DatasetRecord): TrainConfig {
  const config = defaultTrainConfig(request);
  return dataset.spec.text ? { ...config, text: resolveTextFeatures(request.text, { textFeatures: dataset.text }) } : config;
}

const jobRoutes: FastifyPluginAsyncZod<{ deps: AppDeps }> = async (app, { deps }) => {
  const { jobs, datasets, quotas } = deps;
  const visibleJob = async (request: FastifyRequest, id: string) => visible(principal(request), await jobs.get(id), 'job', id);
  const openStreams = new Set<() => void>();
  const endStreams = () => {
    for (const close of [...openStreams]) close();
  };
  app.lifecycle.onDrain(endStreams);
  app.addHook('preClose', async () => endStreams());

  app.post(
    '',
    {
      config: { scope: 'train', budget: 'train' },
      schema: {
        summary: "Start a meta-training job on one of the caller's tenant's datasets",
        tags: ['jobs'],
        headers: IdempotencyHeaders,
        body: CreateJobBody,
        response: { 202: JobAccepted, ...errors(400, 404, 409, 422) },
      },
    },
    async (request, reply) => {
      const { datasetId } = request.body;
      const dataset = visible(principal(request), await datasets.get(datasetId), 'dataset', datasetId);
      const config = trainConfig(request.body, dataset);
      const classes = dataset.numClasses * (config.rotations && dataset.spec.image ? 4 : 1);
      if (config.episode.ways > classes) {
        throw new ServiceError('validation_failed', `${config.episode.ways}-way episodes need at least that many classes; the dataset has ${classes}`, [
          { in: 'body', path: '/episode/ways', message: `at most ${classes}` },
        ]);
      }
      const folds = config.crossValidation?.folds;
      if (folds !== undefined && folds > dataset.numClasses) {
        throw new ServiceError('validation_failed', `${folds} folds need at least that many classes; the dataset has ${dataset.numClasses}`, [
          { in: 'body', path: '/crossValidation/folds', message: `at most ${dataset.numClasses}` },
        ]);
      }
      // Refused now rather than by a worker later: a model beyond the parameter budget, or data
      // whose splits cannot fill an episode once too-small classes are left out.
      checkModelBudget(dataset.spec, config);
      const sampling = planSampling(dataset.classes, dataset.split, dataset.spec.image !== undefined, config);
      // A job trains on its own tenant's data only: it belongs to its dataset's tenant (the
      // caller's, or any tenant's when an admin starts it).
      const { tenant } = dataset;
      const created = await jobs.enqueue({ datasetId, tenant, config, sampling }, request.headers['idempotency-key'], (add) => quotas.admitJob(tenant, add));
      return reply.status(202).header('location', `/v1/jobs/${created.id}`).send({ id: created.id, status: created.status });
    },
  );

  app.get(
    '',
    {
      config: { scope: 'train' },
      schema: { summary: "List jobs (the caller's tenant's; all for admins), newest first", tags: ['jobs'], querystring: JobListQuery, response: { 200: JobList } },
    },
    async (request) => ({ jobs: await jobs.list(request.query.status, request.query.limit, listedTenant(principal(request))) }),
  );

  app.get(
    '/:id',
    { config: { scope: 'train' }, schema: { summary: 'A job with its progress', tags: ['jobs'], params: IdParams, response: { 200: Job, ...errors(404) } } },
    async (request) => visibleJob(request, request.params.id),
  );

  app.get(
    '/:id/events',
    {
      config: { scope: 'train' },
      schema: {
        summary: 'Server-Sent Events: the job on every change, ending with its final state',
        description: '`event: progress` while the job is queued or running, then one `event: done`; each `data` is a Job.',
        tags: ['jobs'],
        params: IdParams,
        response: { 200: { description: 'An event stream', content: { 'text/event-stream': { schema: z.string() } } }, ...errors(404) },
      },
    },
    async (request, reply) => {
      await streamJobEvents(jobs, await visibleJob(request, request.params.id), request, reply, openStreams);
    },
  );

  app.post(
    '/:id/cancel',
    {
      config: { scope: 'train', budget: 'train' },
      schema: {
        summary: 'Cancel a job: it stops within one meta-iteration and keeps its last checkpoint',
        tags: ['jobs'],
        params: IdParams,
        response: { 202: Job, ...errors(404, 409) },
      },
    },
    async (request, reply) => {
      const { id } = await visibleJob(request, request.params.id);
      const cancelled = visible(principal(request), await jobs.cancel(id), 'job', id);
      if (isTerminal(cancelled.status) && cancelled.status !== 'cancelled') throw new ServiceError('conflict', `job ${id} has already ${cancelled.status}`);
      return reply.status(202).send(cancelled);
    },
  );
};

export default jobRoutes;
