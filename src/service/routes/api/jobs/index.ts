import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { defaultTrainConfig, type TrainConfig } from '../../../core.js';
import { resolveTextFeatures } from '../../../core-data.js';
import type { DatasetRecord } from '../../../registry/datasets.js';
import type { AppDeps } from '../../../deps.js';
import { notFound, ServiceError } from '../../../errors.js';
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
  const { jobs, datasets } = deps;
  const openStreams = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const close of [...openStreams]) close();
  });

  app.post(
    '',
    {
      schema: {
        summary: 'Start a meta-training job',
        tags: ['jobs'],
        headers: IdempotencyHeaders,
        body: CreateJobBody,
        response: { 202: JobAccepted, ...errors(400, 404, 409) },
      },
    },
    async (request, reply) => {
      const { datasetId } = request.body;
      const dataset = await datasets.get(datasetId);
      if (!dataset) throw notFound('dataset', datasetId);
      const config = trainConfig(request.body, dataset);
      const classes = dataset.numClasses * (config.rotations && dataset.spec.image ? 4 : 1);
      if (config.episode.ways > classes) {
        throw new ServiceError('validation_failed', `${config.episode.ways}-way episodes need at least that many classes; the dataset has ${classes}`, [
          { in: 'body', path: '/episode/ways', message: `at most ${classes}` },
        ]);
      }
      const job = await jobs.enqueue({ datasetId, config }, request.headers['idempotency-key']);
      return reply.status(202).header('location', `/v1/jobs/${job.id}`).send({ id: job.id, status: job.status });
    },
  );

  app.get(
    '',
    { schema: { summary: 'List jobs, newest first', tags: ['jobs'], querystring: JobListQuery, response: { 200: JobList } } },
    async (request) => ({ jobs: await jobs.list(request.query.status, request.query.limit) }),
  );

  app.get(
    '/:id',
    { schema: { summary: 'A job with its progress', tags: ['jobs'], params: IdParams, response: { 200: Job, ...errors(404) } } },
    async (request) => {
      const job = await jobs.get(request.params.id);
      if (!job) throw notFound('job', request.params.id);
      return job;
    },
  );

  app.get(
    '/:id/events',
    {
      schema: {
        summary: 'Server-Sent Events: the job on every change, ending with its final state',
        description: '`event: progress` while the job is queued or running, then one `event: done`; each `data` is a Job.',
        tags: ['jobs'],
        params: IdParams,
        response: { 200: { description: 'An event stream', content: { 'text/event-stream': { schema: z.string() } } }, ...errors(404) },
      },
    },
    async (request, reply) => {
      const job = await jobs.get(request.params.id);
      if (!job) throw notFound('job', request.params.id);
      await streamJobEvents(jobs, job, request, reply, openStreams);
    },
  );

  app.post(
    '/:id/cancel',
    {
      schema: {
        summary: 'Cancel a job: it stops within one meta-iteration and keeps its last checkpoint',
        tags: ['jobs'],
        params: IdParams,
        response: { 202: Job, ...errors(404, 409) },
      },
    },
    async (request, reply) => {
      const job = await jobs.cancel(request.params.id);
      if (!job) throw notFound('job', request.params.id);
      if (isTerminal(job.status) && job.status !== 'cancelled') throw new ServiceError('conflict', `job ${job.id} has already ${job.status}`);
      return reply.status(202).send(job);
    },
  );
};

export default jobRoutes;
