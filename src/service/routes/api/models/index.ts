import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { listedTenant } from '../../../access.js';
import type { AppDeps } from '../../../deps.js';
import { principal } from '../../../plugins/auth.js';
import type { ModelRecord } from '../../../registry/models.js';
import { installPredictionTiming, recordTiming } from '../../../prediction/timing.js';
import { errors, IdParams } from '../../../schemas/common.js';
import { Adaptation, CreateAdaptationBody, Model, ModelList, PredictBody, PredictResponse } from '../../../schemas/models.js';
import { storageKeys } from '../../../storage/storage.js';

const summary = (model: ModelRecord) => ({ ...model, accuracy: model.evaluation?.accuracy ?? null });

const modelRoutes: FastifyPluginAsyncZod<{ deps: AppDeps }> = async (app, { deps }) => {
  const { models, predictions, storage } = deps;
  installPredictionTiming(app);

  app.get(
    '',
    {
      config: { scope: 'predict' },
      schema: { summary: "List models (the caller's tenant's; all for admins), newest first", tags: ['models'], response: { 200: ModelList } },
    },
    async (request) => ({ models: (await models.list(listedTenant(principal(request)))).map(summary) }),
  );

  app.get(
    '/:id',
    {
      config: { scope: 'predict' },
      schema: {
        summary: 'A model: configuration, dataset, evaluation with baselines, checkpoints',
        tags: ['models'],
        params: IdParams,
        response: { 200: Model, ...errors(404) },
      },
    },
    async (request) => {
      const model = await predictions.model(principal(request), request.params.id);
      // Records from before cross-validation and warnings have neither.
      return { ...summary(model), config: { ...model.config }, crossValidation: model.crossValidation ?? null, warnings: model.warnings ?? [] };
    },
  );

  app.delete(
    '/:id',
    {
      config: { scope: 'train', budget: 'train' },
      schema: {
        summary: 'Delete a model, its checkpoints and its adaptations',
        tags: ['models'],
        params: IdParams,
        response: { 204: z.undefined().describe('Deleted'), ...errors(404) },
      },
    },
    async (request, reply) => {
      const model = await predictions.model(principal(request), request.params.id);
      // The checkpoints first: if the store cannot delete them, the model stays whole and the client may retry.
      await storage.remove(storageKeys.run(model.jobId));
      await models.delete(model);
      await predictions.forgetModel(model);
      return reply.status(204).send();
    },
  );

  app.post(
    '/:id/predict',
    {
      config: { scope: 'predict', budget: 'predict' },
      schema: {
        summary: 'Adapt to a support set and classify queries in one call',
        tags: ['models'],
        params: IdParams,
        body: PredictBody,
        response: { 200: PredictResponse, ...errors(400, 404, 413, 422, 503) },
      },
    },
    async (request) => {
      const { support, queries, steps } = request.body;
      const { timing, ...answer } = await predictions.predict(principal(request), request.params.id, support, queries, steps);
      recordTiming(request, timing);
      return answer;
    },
  );

  app.post(
    '/:id/adaptations',
    {
      config: { scope: 'predict', budget: 'predict' },
      schema: {
        summary: 'Adapt to a support set once; predict with the adaptation many times',
        tags: ['adaptations'],
        params: IdParams,
        body: CreateAdaptationBody,
        response: { 201: Adaptation, ...errors(400, 404, 413, 422, 503) },
      },
    },
    async (request, reply) => {
      const adaptation = await predictions.createAdaptation(principal(request), request.params.id, request.body.support, request.body.steps);
      return reply.status(201).header('location', `/v1/adaptations/${adaptation.id}`).send(adaptation);
    },
  );
};

export default modelRoutes;
