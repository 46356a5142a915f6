// Prometheus metrics on GET /metrics, from a registry of this app's own (tests build many apps).
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { z } from 'zod';
import type { TrainQueue } from '../queue/train-queue.js';

export function installMetrics(app: FastifyInstance, jobs: TrainQueue): void {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'fewshot_' });

  const duration = new Histogram({
    name: 'fewshot_http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  new Gauge({
    name: 'fewshot_training_jobs',
    help: 'Training jobs in the queue by BullMQ state',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const counts = await jobs.counts().catch(() => null);
      for (const [state, count] of Object.entries(counts ?? {})) this.set({ state }, count);
    },
  });
  new Gauge({
    name: 'fewshot_training_workers',
    help: 'Training workers connected to the queue',
    registers: [registry],
    async collect() {
      const workers = await jobs.workers().catch(() => null);
      if (workers) this.set(workers.length);
    },
  });

  app.addHook('onResponse', async (request, reply) => {
    duration.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
  app.withTypeProvider<ZodTypeProvider>().get(
    '/metrics',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Prometheus metrics',
        tags: ['health'],
        response: { 200: { description: 'Prometheus text exposition format', content: { 'text/plain': { schema: z.string() } } } },
      },
    },
    async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()),
  );
}
