// GET /v1/models/:id/manifest: the served checkpoint's manifest (configuration, input spec,
// class split, metrics, evaluation, parameter shapes, file checksums), as a download.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { readManifest } from '../../../core.js';
import type { AppDeps } from '../../../deps.js';
import { principal } from '../../../plugins/auth.js';
import { errors, IdParams } from '../../../schemas/common.js';

const Manifest = z.record(z.string(), z.unknown()).meta({
  id: 'CheckpointManifest',
  description: 'manifest.json of the checkpoint the model serves (format fewshot-checkpoint/1)',
});

const modelManifestRoutes: FastifyPluginAsyncZod<{ deps: AppDeps }> = async (app, { deps }) => {
  app.get(
    '/:id/manifest',
    {
      config: { scope: 'predict' },
      schema: {
        summary: "The manifest of the model's checkpoint, as a download",
        tags: ['models'],
        params: IdParams,
        response: { 200: Manifest, ...errors(404, 503) },
      },
    },
    async (request, reply) => {
      const model = await deps.predictions.model(principal(request), request.params.id);
      const manifest = await readManifest(await deps.runs.checkpoint(model.checkpoint));
      return reply.header('content-disposition', `attachment; filename="${model.id}-manifest.json"`).send({ ...manifest });
    },
  );
};

export default modelManifestRoutes;
