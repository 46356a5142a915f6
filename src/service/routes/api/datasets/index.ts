import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { buildDataset, loadImageFolder, resolveTextFeatures } from '../../../core-data.js';
import type { AppDeps } from '../../../deps.js';
import { notFound, ServiceError } from '../../../errors.js';
import { Upload } from '../../../plugins/content-types.js';
import { storeDataset } from '../../../registry/datasets.js';
import { errors, IdParams, type ExampleInput } from '../../../schemas/common.js';
import {
  CreateDatasetBody,
  CreateDatasetQuery,
  Dataset,
  DatasetList,
  DatasetSummary,
  type CreateDatasetJsonInput,
} from '../../../schemas/datasets.js';
import { storageKeys } from '../../../storage/storage.js';

const datasetRoutes: FastifyPluginAsyncZod<{ deps: AppDeps }> = async (app, { deps }) => {
  const { datasets, storage, jobs } = deps;

  app.post(
    '',
    {
      schema: {
        summary: 'Create a dataset from examples (JSON or NDJSON) or a zip of class folders of images',
        tags: ['datasets'],
        querystring: CreateDatasetQuery,
        body: CreateDatasetBody,
        response: { 201: DatasetSummary, ...errors(400, 413, 415) },
      },
    },
    async (request, reply) => {
      const { imageSize, channels, textFeatures, textDim, strokePoints } = request.query;
      const text = textFeatures || textDim ? resolveTextFeatures({ features: textFeatures, dim: textDim }, {}) : undefined;
      // Validated per content type by CreateDatasetBody: the JSON object, NDJSON's examples, or a zip.
      const body = request.body as CreateDatasetJsonInput | ExampleInput[] | Upload;
      const name = request.query.name ?? (body instanceof Upload || Array.isArray(body) ? undefined : body.name);
      if (!name) {
        throw new ServiceError('validation_failed', 'name is required (?name=) for NDJSON and zip uploads', [
          { in: 'querystring', path: '/name', message: 'required' },
        ]);
      }
      const dataset =
        body instanceof Upload
          ? await loadImageFolder(body.path, { imageSize, channels, name })
          : await buildDataset(name, Array.isArray(body) ? body : body.examples, { imageSize, channels, text, strokePoints });
      const record = await storeDataset(storage, datasets, dataset);
      return reply.status(201).header('location', `/v1/datasets/${record.id}`).send(record);
    },
  );

  app.get(
    '',
    { schema: { summary: 'List datasets, newest first', tags: ['datasets'], response: { 200: DatasetList } } },
    async () => ({ datasets: await datasets.list() }),
  );

  app.get(
    '/:id',
    { schema: { summary: 'A dataset with its classes', tags: ['datasets'], params: IdParams, response: { 200: Dataset, ...errors(404) } } },
    async (request) => {
      const record = await datasets.get(request.params.id);
      if (!record) throw notFound('dataset', request.params.id);
      return record;
    },
  );

  app.delete(
    '/:id',
    {
      schema: {
        summary: 'Delete a dataset (refused while a queued or running job uses it)',
        tags: ['datasets'],
        params: IdParams,
        response: { 204: z.undefined().describe('Deleted'), ...errors(404, 409) },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      if (!(await datasets.get(id))) throw notFound('dataset', id);
      if (await jobs.usesDataset(id)) throw new ServiceError('conflict', `dataset ${id} is used by a queued or running job`);
      await datasets.delete(id);
      await storage.remove(storageKeys.datasetDir(id));
      return reply.status(204).send();
    },
  );
};

export default datasetRoutes;
