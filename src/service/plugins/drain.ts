// Graceful shutdown of the API. On SIGTERM the server first drains: every new request but the
// health checks gets 503 `shutting_down` with Retry-After (and Connection: close, so keep-alive
// clients move on), event streams end, and the requests in flight (predictions, uploads) finish
// within a deadline. Only then does it stop listening, so no caller sees a reset connection.
import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { ServiceError } from '../errors.js';
import { sendError } from './errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A health check: answered while load is shed and while the server drains. */
    probe?: boolean;
  }
  interface FastifyInstance {
    readonly lifecycle: Lifecycle;
  }
}

export class Lifecycle {
  private state: 'serving' | 'draining' = 'serving';
  private inFlight = 0;
  private readonly drainListeners = new Set<() => void>();
  private idle: (() => void) | null = null;

  get draining(): boolean {
    return this.state === 'draining';
  }

  /** Runs `listener` when draining starts (for responses that never end by themselves: event streams). */
  onDrain(listener: () => void): void {
    this.drainListeners.add(listener);
  }

  /** Counts `response` until it ends or its connection closes (hijacked responses included). */
  track(response: ServerResponse): void {
    this.inFlight++;
    response.once('close', () => {
      if (--this.inFlight === 0) this.idle?.();
    });
  }

  /** Refuses new requests and waits for those in flight; resolves with how many were still running at the deadline. */
  async drain(deadlineMs: number): Promise<number> {
    this.state = 'draining';
    for (const listener of this.drainListeners) listener();
    if (this.inFlight > 0) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.idle = resolve;
        timer = setTimeout(resolve, deadlineMs);
      });
      clearTimeout(timer);
    }
    return this.inFlight;
  }
}

export function installDrain(app: FastifyInstance, retryAfterSeconds: number): Lifecycle {
  const lifecycle = new Lifecycle();
  app.decorate('lifecycle', lifecycle);
  app.addHook('onRequest', async (request, reply) => {
    if (!lifecycle.draining) {
      lifecycle.track(reply.raw);
      return;
    }
    if (request.routeOptions.config.probe) return;
    reply.header('connection', 'close');
    return sendError(
      request,
      reply,
      new ServiceError('shutting_down', `the server is shutting down; retry in ${retryAfterSeconds} s (on another replica, if there is one)`, { retryAfterSeconds }, {
        'retry-after': String(retryAfterSeconds),
      }),
    );
  });
  app.addHook('onSend', async (_request, reply) => {
    if (lifecycle.draining) reply.header('connection', 'close');
  });
  return lifecycle;
}
