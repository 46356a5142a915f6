import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps } from '../deps.js';
import { redisProblem } from '../redis.js';
import { Health, Readiness } from '../schemas/health.js';

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Settles with `promise`, or rejects once `ms` have passed. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const READY_TIMEOUT_MS = 2000;

export const healthRoutes: FastifyPluginAsyncZod<{ deps: AppDeps }> = async (app, { deps }) => {
  app.get(
    '/healthz',
    { config: { scope: 'public', probe: true }, schema: { summary: 'Liveness: the process answers', tags: ['health'], response: { 200: Health } } },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      config: { scope: 'public', probe: true },
      schema: {
        summary: 'Readiness: Redis answers, the storage can be used, and the prediction backend is up',
        tags: ['health'],
        response: { 200: Readiness, 503: Readiness },
      },
    },
    async (_request, reply) => {
      const started = performance.now();
      const [redis, backend, workers, storage] = await Promise.allSettled([
        within(deps.redis.ping(), READY_TIMEOUT_MS, 'Redis').then(() => performance.now() - started),
        within(deps.runner.start(), READY_TIMEOUT_MS, 'the prediction process'),
        within(deps.jobs.workers(), READY_TIMEOUT_MS, 'Redis'),
        within(deps.storage.check(), READY_TIMEOUT_MS * 2, `storage ${deps.storage.location}`),
      ]);
      const { draining } = app.lifecycle;
      const ready = !draining && [redis, backend, storage].every((r) => r.status === 'fulfilled');
      const body = {
        status: ready ? ('ready' as const) : ('not_ready' as const),
        redis:
          redis.status === 'fulfilled'
            ? { ok: true, latencyMs: Math.round(redis.value * 100) / 100 }
            : { ok: false, latencyMs: null, error: redisProblem(deps.redis, redis.reason) },
        backend:
          backend.status === 'fulfilled' ? backend.value : { name: 'unknown', device: null, error: message(backend.reason) },
        workers: workers.status === 'fulfilled' ? { count: workers.value.length, names: workers.value } : { count: 0, names: [] },
        storage:
          storage.status === 'fulfilled'
            ? { ok: true, location: deps.storage.location }
            : { ok: false, location: deps.storage.location, error: message(storage.reason) },
        ...(draining ? { draining } : {}),
      };
      return reply.status(body.status === 'ready' ? 200 : 503).send(body);
    },
  );
};
