// The service's typed errors. Routes throw these; plugins/errors.ts turns every error into
// the one JSON shape {error: {code, message, details?}} with its status, in one place.

export type ServiceErrorCode =
  | 'validation_failed'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'quota_exceeded'
  | 'payload_too_large'
  | 'rate_limited'
  | 'not_ready'
  | 'overloaded'
  | 'shutting_down'
  | 'redis_unavailable'
  | 'storage_unavailable';

const STATUS: Record<ServiceErrorCode, number> = {
  validation_failed: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  quota_exceeded: 409,
  payload_too_large: 413,
  rate_limited: 429,
  not_ready: 503,
  overloaded: 503,
  shutting_down: 503,
  redis_unavailable: 503,
  storage_unavailable: 503,
};

export class ServiceError extends Error {
  readonly status: number;
  constructor(
    readonly code: ServiceErrorCode,
    message: string,
    readonly details?: unknown,
    /** Response headers that belong with this error (WWW-Authenticate). */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'ServiceError';
    this.status = STATUS[code];
  }
}

export const notFound = (kind: string, id: string) => new ServiceError('not_found', `${kind} ${id} not found`);
