// Who may do what: key scopes, the scope each route declares, and tenants. A tenant sees only
// its own records; an admin sees all. Records another tenant owns answer 404, like ids that
// do not exist, so ids leak nothing.
import type { FastifyContextConfig } from 'fastify';
import { z } from 'zod';
import { notFound } from './errors.js';

export const KEY_SCOPES = ['predict', 'train', 'admin'] as const;
export type KeyScope = (typeof KEY_SCOPES)[number];
/** What a route declares in `config.scope`; a route that declares nothing needs `admin`. */
export type RouteScope = 'public' | KeyScope;

/** Rate-limit budgets: predictions, training and uploads, everything else a key may call. */
export type Budget = 'predict' | 'train' | 'read';

declare module 'fastify' {
  interface FastifyContextConfig {
    scope?: RouteScope;
    /** The rate-limit budget the route draws on; unset = `read` (none for public routes). */
    budget?: Budget;
  }
}

const RANK: Record<KeyScope, number> = { predict: 1, train: 2, admin: 3 };
/** `train` includes `predict`; `admin` includes everything. */
export const covers = (held: KeyScope, needed: KeyScope) => RANK[held] >= RANK[needed];

export const scopeOf = (config: FastifyContextConfig | undefined): RouteScope => config?.scope ?? 'admin';
export const budgetOf = (config: FastifyContextConfig | undefined): Budget | null =>
  config?.budget ?? (scopeOf(config) === 'public' ? null : 'read');

/** Key names and tenants: they appear in Redis keys and logs. */
export const TenantName = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, '1-64 letters, digits, ".", "_" or "-"');

/** With auth off, every record belongs to this tenant. */
export const DEFAULT_TENANT = 'default';

export interface Principal {
  /** The API key's id; null with auth off. */
  keyId: string | null;
  name: string;
  tenant: string;
  scope: KeyScope;
}

/** Every caller when FEWSHOT_AUTH=off. */
export const ANONYMOUS: Principal = { keyId: null, name: 'anonymous', tenant: DEFAULT_TENANT, scope: 'admin' };

export const seesAll = (principal: Principal) => principal.scope === 'admin';

/** The tenant whose records a listing shows; undefined (all) for admins. */
export const listedTenant = (principal: Principal) => (seesAll(principal) ? undefined : principal.tenant);

/** `record` if `principal` may see it; a 404 naming `kind` and `id` otherwise. */
export function visible<T extends { tenant: string }>(principal: Principal, record: T | null, kind: string, id: string): T {
  if (!record || !(seesAll(principal) || record.tenant === principal.tenant)) throw notFound(kind, id);
  return record;
}
