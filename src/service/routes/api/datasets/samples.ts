// GET /v1/datasets/:id/samples: a page of classes with a few examples each (thumbnails, lines,
// vector heads). Datasets never change, so pages are kept in a small cache.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { LRUCache } from 'lru-cache';
import { loadDataset, type ClassDataset } from '../../../core.js';
import { visible } from '../../../access.js';
import type { AppDeps } from '../../../deps.js';
import { ServiceError } from '../../../errors.js';
import { principal } from '../../../plugins/auth.js';
import type { DatasetRecord } from '../../../registry/datasets.js';
import { samplePage } from '../../../preview/dataset-samples.js';
import { errors, IdParams } from '../../../schemas/common.js';
import { DatasetSamples, DatasetSamplesQuery } from '../../../schemas/dataset-samples.js';

const CACHED_PAGES = 32;
/** The last dataset read stays loaded this long, so paging through it reads its file once. */
const LOADED_MS = 60_000;

const datasetSampleRoutes: FastifyPluginAsyncZod<{ deps: AppDeps }> = async (app, { deps }) => {
  const pages = new LRUCache<string, Promise<DatasetSamples>>({ max: CACHED_PAGES });
  const loaded = new LRUCache<string, Promise<ClassDataset>>({ max: 1, ttl: LOADED_MS });
  const load = (record: DatasetRecord) => {
    let dataset = loaded.get(record.id);
    if (!dataset) {
      dataset = (async () => {
        if (!(await deps.storage.fetch(record.key))) {
          throw new ServiceError('storage_unavailable', `dataset ${record.id}'s file is missing from the store`);
        }
        return loadDataset(await deps.storage.localPath(record.key));
      })();
      loaded.set(record.id, dataset);
      dataset.catch(() => loaded.delete(record.id));
    }
    return dataset;
  };

  app.get(
    '/:id/samples',
    {
      config: { scope: 'train' },
      schema: {
        summary: 'A page of classes with sample images, lines of text and vectors',
        tags: ['datasets'],
        params: IdParams,
        querystring: DatasetSamplesQuery,
        response: { 200: DatasetSamples, ...errors(404, 503) },
      },
    },
    async (request) => {
      const record = visible(principal(request), await deps.datasets.get(request.params.id), 'dataset', request.params.id);
      const { offset, limit, perClass } = request.query;
      const key = `${record.id}/${offset}/${limit}/${perClass}`;
      let page = pages.get(key);
      if (!page) {
        page = load(record).then((dataset) => samplePage(record, dataset, { offset, limit, perClass }));
        pages.set(key, page);
        // A failed read is not kept: the next request tries again.
        page.catch(() => pages.delete(key));
      }
      return page;
    },
  );
};

export default datasetSampleRoutes;
