import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../../../deps.js';
import { principal } from '../../../plugins/auth.js';
import { installPredictionTiming, recordTiming } from '../../../prediction/timing.js';
import { errors, IdParams } from '../../../schemas/common.js';
import { AdaptationPredictBody, Predictions } from '../../../schemas/models.js';

const adaptationRoutes: FastifyPluginAsyncZod<{ deps: AppDeps }> = async (app, { deps }) => {
  const { predictions } = deps;
  installPredictionTiming(app);

  app.post(
    '/:id/predict',
    {
      config: { scope: 'predict', budget: 'predict' },
      schema: {
        summary: 'Classify queries with an adaptation (a forward pass; no adaptation steps)',
        tags: ['adaptations'],
        params: IdParams,
        body: AdaptationPredictBody,
        response: { 200: Predictions, ...errors(400, 404, 413, 503) },
      },
    },
    async (request) => {
      const { predictions: scored, timing } = await predictions.predictAdapted(principal(request), request.params.id, request.body.queries);
      recordTiming(request, timing);
      return { predictions: scored };
    },
  );

  app.delete(
    '/:id',
    {
      config: { scope: 'predict', budget: 'predict' },
      schema: {
        summary: 'Delete an adaptation and free its weights',
        tags: ['adaptations'],
        params: IdParams,
        response: { 204: z.undefined().describe('Deleted'), ...errors(404) },
      },
    },
    async (request, reply) => {
      await predictions.deleteAdaptation(principal(request), request.params.id);
      return reply.status(204).send();
    },
  );
};

export default adaptationRoutes;
