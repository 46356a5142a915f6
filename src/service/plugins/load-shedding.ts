// Load shedding: when the API falls behind it refuses work at once, 503 `overloaded` with
// Retry-After, rather than letting requests queue until their callers time out. Two signals:
// the event loop's delay (every route but the health checks; measured by @fastify/under-pressure)
// and the queue in front of the prediction process (the prediction routes). Both are checked
// before a body is read, so a refusal costs almost nothing.
import underPressure from '@fastify/under-pressure';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { budgetOf } from '../access.js';
import type { ServiceConfig } from '../config.js';
import { ServiceError } from '../errors.js';
import type { PredictionRunner } from '../prediction/runner.js';
import { sendError } from './errors.js';

export async function installLoadShedding(app: FastifyInstance, config: ServiceConfig, runner: PredictionRunner): Promise<void> {
  const { eventLoopDelayMs, predictQueue, retryAfterSeconds } = config.shedding;
  const shed = (request: FastifyRequest, reply: FastifyReply, message: string, details: object) =>
    sendError(
      request,
      reply,
      new ServiceError('overloaded', `${message}; retry in ${retryAfterSeconds} s`, { ...details, retryAfterSeconds }, { 'retry-after': String(retryAfterSeconds) }),
    );

  // Registered only when used: its delay monitor samples every 10 ms for as long as the process runs.
  if (eventLoopDelayMs > 0) {
    await app.register(underPressure, {
      maxEventLoopDelay: eventLoopDelayMs,
      // Twice a second: shedding starts and stops within half a second of the delay crossing the limit.
      sampleInterval: 500,
      pressureHandler: async (request, reply, _type, value) => {
        if (request.routeOptions.config.probe) return;
        const delayMs = Math.round(Number(value));
        shed(request, reply, `the server is overloaded (event-loop delay ${delayMs} ms)`, { reason: 'event_loop_delay', delayMs, limitMs: eventLoopDelayMs });
      },
    });
  }
  if (predictQueue > 0) {
    app.addHook('onRequest', async (request, reply) => {
      if (budgetOf(request.routeOptions.config) !== 'predict' || runner.waiting < predictQueue) return;
      const waiting = runner.waiting;
      return shed(request, reply, `${waiting} predictions are already waiting`, { reason: 'prediction_queue', waiting, limit: predictQueue });
    });
  }
}
