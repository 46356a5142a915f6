import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../../../deps.js';
import { notFound } from '../../../errors.js';
import { errors, IdParams } from '../../../schemas/common.js';
import { CreatedKey, CreateKeyBody, KeyList } from '../../../schemas/keys.js';

/** API keys, for admins (the same as `fewshot keys`). */
const keyRoutes: FastifyPluginAsyncZod<{ deps: AppDeps }> = async (app, { deps }) => {
  const { keys } = deps;

  app.post(
    '',
    {
      config: { scope: 'admin', budget: 'train' },
      schema: {
        summary: 'Create an API key; its secret is in this response only',
        tags: ['keys'],
        body: CreateKeyBody,
        response: { 201: CreatedKey, ...errors(400) },
      },
    },
    async (request, reply) => {
      const { key, record } = await keys.create(request.body);
      return reply.status(201).header('location', `/v1/keys/${record.id}`).send({ ...record, key });
    },
  );

  app.get(
    '',
    { config: { scope: 'admin' }, schema: { summary: 'List API keys (never their secrets), oldest first', tags: ['keys'], response: { 200: KeyList } } },
    async () => ({ keys: await keys.list() }),
  );

  app.delete(
    '/:id',
    {
      config: { scope: 'admin', budget: 'train' },
      schema: {
        summary: 'Revoke an API key for good (no seed brings its secret back)',
        tags: ['keys'],
        params: IdParams,
        response: { 204: z.undefined().describe('Revoked'), ...errors(404) },
      },
    },
    async (request, reply) => {
      if (!(await keys.revoke(request.params.id))) throw notFound('API key', request.params.id);
      return reply.status(204).send();
    },
  );
};

export default keyRoutes;
