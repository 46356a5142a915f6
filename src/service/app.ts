// Builds the Fastify instance from its dependencies; server.ts listens, tests inject.
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { AppDeps } from './deps.js';
import { installContentTypes } from './plugins/content-types.js';
import { installDocs } from './plugins/docs.js';
import { installErrorHandling } from './plugins/errors.js';
import { installMetrics } from './plugins/metrics.js';
import { installQueueBoard } from './plugins/queue-board.js';
import { installUi } from './plugins/ui.js';
import adaptationRoutes from './routes/api/adaptations/index.js';
import datasetRoutes from './routes/api/datasets/index.js';
import datasetSampleRoutes from './routes/api/datasets/samples.js';
import jobRoutes from './routes/api/jobs/index.js';
import jobMetricsRoutes from './routes/api/jobs/metrics.js';
import modelRoutes from './routes/api/models/index.js';
import modelManifestRoutes from './routes/api/models/manifest.js';
import { healthRoutes } from './routes/health.js';

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config } = deps;
  const app = Fastify({
    loggerInstance: deps.log as FastifyBaseLogger,
    bodyLimit: config.bodyLimit,
    requestIdHeader: 'x-request-id',
    // Behind a load balancer the connection's address is the balancer's.
    trustProxy: true,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  installErrorHandling(app);
  installContentTypes(app, deps.storage, { body: config.bodyLimit, upload: config.uploadLimit });
  await installDocs(app);
  installMetrics(app, deps.jobs);
  await installUi(app);
  await installQueueBoard(app, deps.jobs);

  await app.register(healthRoutes, { deps });
  await app.register(datasetRoutes, { prefix: '/v1/datasets', deps });
  await app.register(datasetSampleRoutes, { prefix: '/v1/datasets', deps });
  await app.register(jobRoutes, { prefix: '/v1/jobs', deps });
  await app.register(jobMetricsRoutes, { prefix: '/v1/jobs', deps });
  await app.register(modelRoutes, { prefix: '/v1/models', deps });
  await app.register(modelManifestRoutes, { prefix: '/v1/models', deps });
  await app.register(adaptationRoutes, { prefix: '/v1/adaptations', deps });
  return app;
}
