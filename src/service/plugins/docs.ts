// OpenAPI from the same zod schemas that validate requests: GET /openapi.json, Swagger UI at /docs.
import { createRequire } from 'node:module';
import swagger, { type SwaggerTransform } from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { z } from 'zod';

const { version } = createRequire(import.meta.url)('../../../package.json') as { version: string };

type ContentMap = { content: Record<string, { schema: z.ZodType }> };
const isContentMap = (body: unknown): body is ContentMap =>
  typeof body === 'object' && body !== null && 'content' in body && !(body instanceof z.ZodType);

/**
 * The provider's transform converts a zod body; a body given per content type (JSON, NDJSON,
 * zip) goes through it one media type at a time.
 */
const transform: SwaggerTransform = (document) => {
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
      ],
    },
    transform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
