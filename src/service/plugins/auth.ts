// API keys on every request, before its body is read: `Authorization: Bearer <key>`,
// `x-api-key: <key>`, or the `fewshot_key` cookie that POST /v1/session sets for browsers.
// Each route declares its scope (config.scope); one that declares none needs `admin`.
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import { ANONYMOUS, covers, scopeOf, type Principal, type RouteScope } from '../access.js';
import { ServiceError } from '../errors.js';
import { principalOf, type KeyRegistry } from '../registry/keys.js';
import { sendError } from './errors.js';

export const SESSION_COOKIE = 'fewshot_key';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is calling; null on public routes with auth on. */
    principal: Principal | null;
  }
  interface FastifyInstance {
    /** Every route registered so far, with the scope it needs. */
    routeScopes(): DeclaredRoute[];
  }
}

export interface DeclaredRoute {
  method: string;
  url: string;
  scope: RouteScope;
}

function cookie(request: FastifyRequest, name: string): string | null {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key !== name) continue;
    try {
      return decodeURIComponent(value.join('='));
    } catch {
      // Badly percent-encoded: a credential that cannot be any key, refused like a wrong one.
      return value.join('=');
    }
  }
  return null;
}

/** The key a request presents, or null; a malformed Authorization header is a 401 of its own. */
function presentedKey(request: FastifyRequest): string | null {
  const { authorization } = request.headers;
  if (authorization !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!match) throw unauthorized('the Authorization header must be "Bearer <key>"', 'invalid_request');
    return match[1];
  }
  const header = request.headers['x-api-key'];
  if (typeof header === 'string') return header;
  return cookie(request, SESSION_COOKIE);
}

/** RFC 6750's challenge: `error` only when a credential was presented and refused. */
export function unauthorized(message: string, error?: 'invalid_token' | 'invalid_request'): ServiceError {
  const challenge = `Bearer realm="fewshot"${error ? `, error="${error}"` : ''}`;
  return new ServiceError('unauthorized', message, undefined, { 'www-authenticate': challenge });
}

/** The key's record, or a 401; Redis being down is a 503, not a refusal. */
export async function authenticate(keys: KeyRegistry, presented: string) {
  const record = await keys.verify(presented).catch(() => {
    throw new ServiceError('redis_unavailable', 'API keys cannot be checked: Redis does not answer');
  });
  if (!record) throw unauthorized('the API key is invalid or has been revoked', 'invalid_token');
  return record;
}

export function installAuth(app: FastifyInstance, keys: KeyRegistry, enabled: boolean): void {
  // Read when asked: an onRoute hook of an inner context (the docs plugin's) may still set a route's scope after this one ran.
  const routes: RouteOptions[] = [];
  app.decorateRequest('principal', null);
  app.decorate('routeScopes', () =>
    routes.flatMap((route) => [route.method].flat().map((method) => ({ method, url: route.url, scope: scopeOf(route.config) }))),
  );
  app.addHook('onRoute', (route) => {
    routes.push(route);
  });

  const check = async (request: FastifyRequest) => {
    // An unknown URL asks for any valid key, then answers 404: its existence is no secret, callers' keys are.
    const needed = request.is404 ? 'predict' : scopeOf(request.routeOptions.config);
    if (needed === 'public') return;
    const presented = presentedKey(request);
    if (presented === null) throw unauthorized('an API key is required (Authorization: Bearer <key>, or x-api-key)');
    const record = await authenticate(keys, presented);
    if (!covers(record.scope, needed)) {
      throw new ServiceError('forbidden', `${request.method} ${request.routeOptions.url} needs a ${needed} key; this one is ${record.scope}`);
    }
    request.principal = principalOf(record);
  };
  app.addHook('onRequest', async (request, reply) => {
    if (!enabled) {
      request.principal = ANONYMOUS;
      return;
    }
    // Answered here, not thrown: a third-party plugin's routes (the queue board) have an error
    // handler of their own, which knows neither the error shape nor WWW-Authenticate.
    try {
      await check(request);
    } catch (error) {
      return sendError(request, reply, error);
    }
  });
}

/**
 * An onRoute hook giving every route of the context it is added to `scope`: for routes a
 * third-party plugin registers (Swagger UI, static files), which cannot declare one.
 */
export const declareScope = (scope: RouteScope) => (route: RouteOptions) => {
  route.config = { ...route.config, scope };
};

/** The principal of a route that is not public (the auth hook has set it). */
export const principal = (request: FastifyRequest): Principal => {
  if (!request.principal) throw new Error(`${request.method} ${request.url} has no principal: is its route public?`);
  return request.principal;
};
