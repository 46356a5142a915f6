// A browser cannot put a bearer header on a page navigation (the queue dashboard at
// /admin/queues): it trades its key for an HttpOnly, SameSite=Strict cookie here instead.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../../../deps.js';
import { authenticate, SESSION_COOKIE } from '../../../plugins/auth.js';
import { errors } from '../../../schemas/common.js';
import { SessionBody } from '../../../schemas/keys.js';

function setCookie(request: FastifyRequest, reply: FastifyReply, value: string, maxAge?: number) {
  const attributes = ['Path=/', 'HttpOnly', 'SameSite=Strict', ...(request.protocol === 'https' ? ['Secure'] : [])];
  if (maxAge !== undefined) attributes.push(`Max-Age=${maxAge}`);
  reply.header('set-cookie', `${SESSION_COOKIE}=${encodeURIComponent(value)}; ${attributes.join('; ')}`);
}

const sessionRoutes: FastifyPluginAsyncZod<{ deps: AppDeps }> = async (app, { deps }) => {
  app.post(
    '',
    {
      config: { scope: 'public', budget: 'read' },
      schema: {
        summary: `Set the ${SESSION_COOKIE} cookie (HttpOnly, SameSite=Strict) that authenticates this browser with the key`,
        tags: ['keys'],
        body: SessionBody,
        response: { 204: z.undefined().describe('Cookie set'), ...errors(400, 401) },
      },
    },
    async (request, reply) => {
      await authenticate(deps.keys, request.body.key);
      setCookie(request, reply, request.body.key);
      return reply.status(204).send();
    },
  );

  app.delete(
    '',
    {
      config: { scope: 'public' },
      schema: { summary: `Clear the ${SESSION_COOKIE} cookie`, tags: ['keys'], response: { 204: z.undefined().describe('Cookie cleared') } },
    },
    async (request, reply) => {
      setCookie(request, reply, '', 0);
      return reply.status(204).send();
    },
  );
};

export default sessionRoutes;
