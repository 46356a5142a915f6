// Who may call a route (CONVENTIONS.md): every route declares `config: { scope }`, and the
// auth plugin enforces it. Routes that a third-party plugin registers (static files, the queue
// board) cannot be given options one by one, so their context stamps its scope on each.
import type { FastifyInstance } from 'fastify';

export type Scope = 'public' | 'predict' | 'train' | 'admin';

declare module 'fastify' {
  interface FastifyContextConfig {
    scope?: Scope;
  }
}

/** Gives every route registered from now on in `context` (and its children) `scope`. */
export function scopeRoutes(context: FastifyInstance, scope: Scope): void {
  context.addHook('onRoute', (route) => {
    route.config = { ...route.config, scope };
  });
}
