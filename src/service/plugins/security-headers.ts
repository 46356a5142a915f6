// Security headers on every response (helmet's defaults), and CORS only for the origins
// FEWSHOT_CORS_ORIGINS lists: with none, browsers on other origins cannot read the API.
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

export async function installSecurityHeaders(app: FastifyInstance, corsOrigins: string[]): Promise<void> {
  await app.register(helmet);
  if (corsOrigins.length === 0) return;
  // Registered before the auth hook: preflights carry no credentials and are answered here.
  await app.register(cors, {
    origin: corsOrigins,
    methods: ['GET', 'POST', 'DELETE'],
    allowedHeaders: ['authorization', 'x-api-key', 'content-type', 'idempotency-key', 'x-request-id'],
    exposedHeaders: ['location', 'retry-after', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset', 'x-request-id'],
    maxAge: 600,
  });
}
