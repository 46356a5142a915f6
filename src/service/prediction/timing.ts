// Where a prediction request's time goes, as a standard Server-Timing header (browsers' dev
// tools and `bench:serve` read it):
//   parse    body read, JSON parsing and schema validation (request received → handler)
//   queue    waiting for the prediction process (one request at a time, runner.ts)
//   hop      the round trip to the prediction process, less its work (IPC: copy, send, receive)
//   decode   featurising the examples there (image decoding, text hashing)
//   adapt    adapting to the support set (MAML's SGD steps; nothing for prototypical networks)
//   forward  scoring the queries (the network's forward pass) and reading the scores back
//   total    request received → response serialised
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** Measured by the prediction process (decode, adapt, forward) and the runner (queue, hop). */
export interface PredictionTiming {
  decodeMs: number;
  adaptMs: number;
  forwardMs: number;
  queueMs: number;
  hopMs: number;
}

interface Stamps {
  received: number;
  validated?: number;
  timing?: PredictionTiming;
}

const stamps = new WeakMap<FastifyRequest, Stamps>();
const ms = (x: number) => x.toFixed(2);

/** Adds the Server-Timing header to the prediction routes of this (encapsulated) plugin. */
export function installPredictionTiming(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    stamps.set(request, { received: performance.now() });
  });
  app.addHook('preHandler', async (request) => {
    const s = stamps.get(request);
    if (s) s.validated = performance.now();
  });
  app.addHook('onSend', async (request, reply) => {
    const s = stamps.get(request);
    if (!s?.timing || s.validated === undefined) return;
    const t = s.timing;
    reply.header(
      'server-timing',
      [
        `parse;dur=${ms(s.validated - s.received)}`,
        `queue;dur=${ms(t.queueMs)}`,
        `hop;dur=${ms(t.hopMs)}`,
        `decode;dur=${ms(t.decodeMs)}`,
        `adapt;dur=${ms(t.adaptMs)}`,
        `forward;dur=${ms(t.forwardMs)}`,
        `total;dur=${ms(performance.now() - s.received)}`,
      ].join(', '),
    );
  });
}

/** What the handler's prediction measured, for the header. */
export function recordTiming(request: FastifyRequest, timing: PredictionTiming): void {
  const s = stamps.get(request);
  if (s) s.timing = timing;
}
