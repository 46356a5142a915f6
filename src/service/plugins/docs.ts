// OpenAPI from the same zod schemas that validate requests: GET /openapi.json, Swagger UI at /docs.
import { createRequire } from 'node:module';
import swagger, { type SwaggerTransform } from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { budgetOf, scopeOf } from '../access.js';
import { ErrorResponse } from '../schemas/common.js';
import { declareScope, SESSION_COOKIE } from './auth.js';

const { version } = createRequire(import.meta.url)('../../../package.json') as { version: string };

type ContentMap = { content: Record<string, { schema: z.ZodType }> };
const isContentMap = (body: unknown): body is ContentMap =>
  typeof body === 'object' && body !== null && 'content' in body && !(body instanceof z.ZodType);

const SECURITY: Record<string, string[]>[] = [{ bearerKey: [] }, { headerKey: [] }, { sessionCookie: [] }];

/**
 * What every route's declared scope and budget add to its document: who may call it, and its
 * 401/403/429/503; and what the framework answers for it: 400 when it validates anything, 413 and
 * 415 when it takes a body.
 */
const withAccess: SwaggerTransform = (document) => {
  const config = document.route.config;
  const scope = scopeOf(config);
  const given = document.schema ?? {};
  const validates = (['body', 'querystring', 'params', 'headers'] as const).some((part) => given[part] !== undefined);
  const framework = {
    ...(validates ? { 400: ErrorResponse } : {}),
    ...(given.body !== undefined ? { 413: ErrorResponse, 415: ErrorResponse } : {}),
  };
  const refusals = {
    ...(scope === 'public' ? {} : { 401: ErrorResponse, 403: ErrorResponse }),
    ...(budgetOf(config) ? { 429: ErrorResponse } : {}),
    // Load shed or the server draining (plugins/load-shedding.ts, plugins/drain.ts); health checks answer regardless.
    ...(config?.probe ? {} : { 503: ErrorResponse }),
  };
  const schema = document.schema ?? {};
  return {
    ...document,
    schema: {
      ...schema,
      ...(scope === 'public' ? { security: [] } : { description: [schema.description, `Needs a key of scope \`${scope}\` or above.`].filter(Boolean).join('\n\n') }),
      ...(Object.keys(refusals).length || Object.keys(framework).length ? { response: { ...framework, ...(schema.response as object), ...refusals } } : {}),
    },
  };
};

/**
 * The provider's transform converts a zod body; a body given per content type (JSON, NDJSON,
 * zip) goes through it one media type at a time.
 */
const transform: SwaggerTransform = (original) => {
  const document = withAccess(original) as typeof original;
  const body = document.schema?.body;
  if (!isContentMap(body)) return jsonSchemaTransform(document);
  const bodyOf = (schema: z.ZodType) => jsonSchemaTransform({ ...document, schema: { body: schema } }).schema.body;
  const { schema, url } = jsonSchemaTransform({ ...document, schema: { ...document.schema, body: undefined } });
  const content = Object.fromEntries(Object.entries(body.content).map(([type, media]) => [type, { schema: bodyOf(media.schema) }]));
  return { url, schema: { ...schema, body: { content } } };
};

export async function installDocs(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Fewshot',
        version,
        description: 'Meta-train few-shot models on your data, then classify new labels from a handful of examples.',
      },
      tags: [
        { name: 'health', description: 'Liveness, readiness, metrics' },
        { name: 'datasets' },
        { name: 'jobs', description: 'Meta-training jobs' },
        { name: 'models' },
        { name: 'adaptations', description: 'Adapt once, predict many times' },
        { name: 'keys', description: 'API keys (admins), and the browser session cookie' },
      ],
      components: {
        securitySchemes: {
          bearerKey: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer <API key>' },
          headerKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
          sessionCookie: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE, description: 'Set by POST /v1/session' },
        },
      },
      security: SECURITY,
    },
    transform,
    transformObject: jsonSchemaTransformObject,
  });
  // Swagger UI's own routes cannot declare a scope: everything registered in this context is public.
  await app.register(async (docs) => {
    docs.addHook('onRoute', declareScope('public'));
    await docs.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
  });
  app.get('/openapi.json', { config: { scope: 'public' }, schema: { hide: true } }, async () => app.swagger());
}
