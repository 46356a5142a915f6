import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { listedTenant, visible } from '../../../access.js';
import { assertInformative, buildDataset, loadImageFolder, MAX_PIXELS, MAX_ROW_FLOATS, resolveTextFeatures, ZIP_LIMITS } from '../../../core.js';
import type { AppDeps } from '../../../deps.js';
import { ServiceError } from '../../../errors.js';
import { principal } from '../../../plugins/auth.js';
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
  const { datasets, storage, jobs, quotas } = deps;

  app.post(
    '',
    {
      config: { scope: 'train', budget: 'train' },
      schema: {
        summary: 'Create a dataset from examples (JSON or NDJSON) or a zip of class folders of images',
        description:
          `Refused: a modality the same for every example (422 degenerate_data); images over ${MAX_PIXELS / 1e6} megapixels (400); ` +
          `zips over ${ZIP_LIMITS.entries} images or ${ZIP_LIMITS.bytes / 2 ** 20} MiB uncompressed, and decoded data over ${MAX_ROW_FLOATS} numbers (413 too_large).`,
        tags: ['datasets'],
        querystring: CreateDatasetQuery,
        body: CreateDatasetBody,
        response: { 201: DatasetSummary, ...errors(400, 413, 415, 422, 503) },
      },
    },
    async (request, reply) => {
      const { imageSize, channels, resize, textFeatures, textDim, strokePoints } = request.query;
      const text = textFeatures || textDim ? resolveTextFeatures({ features: textFeatures, dim: textDim }, {}) : undefined;
      // Validated per content type by CreateDatasetBody: the JSON object, NDJSON's examples, or a zip.
      const body = request.body as CreateDatasetJsonInput | ExampleInput[] | Upload;
      const name = request.query.name ?? (body instanceof Upload || Array.isArray(body) ? undefined : body.name);
      if (!name) {
        throw new ServiceError('validation_failed', 'name is required (?name=) for NDJSON and zip uploads', [
          { in: 'querystring', path: '/name', message: 'required' },
        ]);
      }
      const examples = body instanceof Upload ? null : Array.isArray(body) ? body : body.examples;
      const dataset = examples
        ? await buildDataset(name, examples, { imageSize, channels, resize, text, strokePoints })
        : await loadImageFolder((body as Upload).path, { imageSize, channels, resize, name });
      assertInformative(dataset);
      const { tenant } = principal(request);
      const record = await storeDataset(storage, datasets, dataset, tenant, (bytes, register) => quotas.admitStored(tenant, bytes, register));
      return reply.status(201).header('location', `/v1/datasets/${record.id}`).send(record);
    },
  );

  app.get(
    '',
    { config: { scope: 'train' }, schema: { summary: "List datasets (the caller's tenant's; all for admins), newest first", tags: ['datasets'], response: { 200: DatasetList } } },
    async (request) => ({ datasets: await datasets.list(listedTenant(principal(request))) }),
  );

  app.get(
    '/:id',
    {
      config: { scope: 'train' },
      schema: { summary: 'A dataset with its classes', tags: ['datasets'], params: IdParams, response: { 200: Dataset, ...errors(404) } },
    },
    async (request) => visible(principal(request), await datasets.get(request.params.id), 'dataset', request.params.id),
  );

  app.delete(
    '/:id',
    {
      config: { scope: 'train', budget: 'train' },
      schema: {
        summary: 'Delete a dataset (refused while a queued or running job uses it)',
        tags: ['datasets'],
        params: IdParams,
        response: { 204: z.undefined().describe('Deleted'), ...errors(404, 409) },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const record = visible(principal(request), await datasets.get(id), 'dataset', id);
      if (await jobs.usesDataset(id)) throw new ServiceError('conflict', `dataset ${id} is used by a queued or running job`);
      // The file first: if the store cannot delete it, the dataset stays whole and the client may retry.
      await storage.remove(storageKeys.datasetDir(id));
      await datasets.delete(record);
      return reply.status(204).send();
    },
  );
};

export default datasetRoutes;
