// Builds the Fastify instance from its dependencies; server.ts listens, tests inject.
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { join } from 'node:path';
import type { AppDeps } from './deps.js';
import { installAuth } from './plugins/auth.js';
import { installContentTypes } from './plugins/content-types.js';
import { installDocs } from './plugins/docs.js';
import { installDrain } from './plugins/drain.js';
import { frameworkErrors, installErrorHandling, MAX_PARAM_LENGTH } from './plugins/errors.js';
import { installLoadShedding } from './plugins/load-shedding.js';
import { installMetrics } from './plugins/metrics.js';
import { installQueueBoard } from './plugins/queue-board.js';
import { installRateLimit } from './plugins/rate-limit.js';
import { installSecurityHeaders } from './plugins/security-headers.js';
import { installUi } from './plugins/ui.js';
import adaptationRoutes from './routes/api/adaptations/index.js';
import datasetRoutes from './routes/api/datasets/index.js';
import datasetSampleRoutes from './routes/api/datasets/samples.js';
import jobRoutes from './routes/api/jobs/index.js';
import jobMetricsRoutes from './routes/api/jobs/metrics.js';
import keyRoutes from './routes/api/keys/index.js';
import modelRoutes from './routes/api/models/index.js';
import modelManifestRoutes from './routes/api/models/manifest.js';
import sessionRoutes from './routes/api/session/index.js';
import { healthRoutes } from './routes/health.js';

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config } = deps;
  const app = Fastify({
    loggerInstance: deps.log as FastifyBaseLogger,
    bodyLimit: config.bodyLimit,
    requestIdHeader: 'x-request-id',
    // Off unless configured: otherwise any client could pick its address (and its rate-limit bucket).
    trustProxy: config.trustProxy,
    // The drain (plugins/drain.ts) answers while the server shuts down, in the one error shape.
    return503OnClosing: false,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  installErrorHandling(app);
  // First of the request hooks: refusing work must not wait for Redis (auth, rate limits).
  installDrain(app, config.shedding.retryAfterSeconds);
  await installLoadShedding(app, config, deps.runner);
  await installSecurityHeaders(app, config.corsOrigins);
  // Before every route: the auth hook sees each route's scope, the limiter runs after it.
  installAuth(app, deps.keys, config.auth.enabled);
  await installRateLimit(app, deps.redis, config);
  installContentTypes(app, join(config.dataDir, 'uploads'), { body: config.bodyLimit, upload: config.uploadLimit });
  await installDocs(app);
  installMetrics(app, deps.jobs);
  await installUi(app);
  await installQueueBoard(app, deps.jobs);

  await app.register(healthRoutes, { deps });
  await app.register(sessionRoutes, { prefix: '/v1/session', deps });
  await app.register(keyRoutes, { prefix: '/v1/keys', deps });
  await app.register(datasetRoutes, { prefix: '/v1/datasets', deps });
  await app.register(datasetSampleRoutes, { prefix: '/v1/datasets', deps });
  await app.register(jobRoutes, { prefix: '/v1/jobs', deps });
  await app.register(jobMetricsRoutes, { prefix: '/v1/jobs', deps });
  await app.register(modelRoutes, { prefix: '/v1/models', deps });
  await app.register(modelManifestRoutes, { prefix: '/v1/models', deps });
  await app.register(adaptationRoutes, { prefix: '/v1/adaptations', deps });
  return app;
}
