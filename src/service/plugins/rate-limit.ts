// Request budgets per API key (per client address with auth off), counted in Redis so every
// API replica draws on the same counters: one for predictions, one for training and uploads,
// one for everything else a key may call. Public routes (health, docs) are not limited.
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { budgetOf } from '../access.js';
import type { ServiceConfig } from '../config.js';
import { ServiceError } from '../errors.js';

export async function installRateLimit(app: FastifyInstance, redis: Redis, config: ServiceConfig): Promise<void> {
  const { budgets, windowMs } = config.rateLimit;
  const budget = (request: FastifyRequest) => budgetOf(request.routeOptions.config);
  await app.register(rateLimit, {
    global: true,
    // Route hooks run after the app's: the auth hook has identified the caller by then.
    hook: 'onRequest',
    redis,
    nameSpace: `${config.prefix}:ratelimit:`,
    timeWindow: windowMs,
    allowList: (request) => {
      const b = budget(request);
      return b === null || budgets[b] === 0;
    },
    max: (request) => budgets[budget(request)!],
    keyGenerator: (request) => `${budget(request)}:${request.principal?.keyId ?? `ip:${request.ip}`}`,
    // Without Redis nothing else works either; the routes say so (503) rather than this limiter.
    skipOnError: true,
    errorResponseBuilder: (request, context) =>
      new ServiceError('rate_limited', `more than ${context.max} ${budget(request)} requests in ${windowMs / 1000} s; retry in ${context.after}`, {
        budget: budget(request),
        limit: context.max,
        windowSeconds: windowMs / 1000,
        retryAfterSeconds: Math.ceil(context.ttl / 1000),
      }),
  });
}
