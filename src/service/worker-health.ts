// `fewshot worker` serves no API, so a container health check has nothing to ask: with
// FEWSHOT_WORKER_HEALTH_PORT set, it answers GET /healthz itself — 200 while its BullMQ worker
// runs and Redis answers, 503 saying which is wrong otherwise.
import { createServer, type Server } from 'node:http';
import type { Logger } from './logger.js';
import type { TrainWorker } from './queue/worker.js';

const PING_TIMEOUT_MS = 2000;

async function problem(worker: TrainWorker): Promise<string | null> {
  if (!worker.worker.isRunning()) return 'the training worker is not running';
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`Redis did not answer within ${PING_TIMEOUT_MS} ms`), PING_TIMEOUT_MS);
  });
  const ping = worker.ping().then(
    () => null,
    (error: Error) => `Redis: ${error.message}`,
  );
  return Promise.race([ping, timeout]).finally(() => clearTimeout(timer));
}

export async function serveWorkerHealth(worker: TrainWorker, port: number, log: Logger): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url !== '/healthz') {
      response.writeHead(404).end();
      return;
    }
    problem(worker).then(
      (reason) => {
        response.writeHead(reason ? 503 : 200, { 'content-type': 'application/json' });
        response.end(JSON.stringify(reason ? { status: 'unhealthy', reason } : { status: 'ok' }));
      },
      () => response.writeHead(503).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '0.0.0.0', () => resolve());
  });
  log.info({ port }, 'worker health check at GET /healthz');
  return server;
}
