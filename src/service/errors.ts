// The service's typed errors. Routes throw these; plugins/errors.ts turns every error into
// the one JSON shape {error: {code, message, details?}} with its status, in one place.

export type ServiceErrorCode = 'validation_failed' | 'not_found' | 'conflict' | 'payload_too_large' | 'not_ready';

const STATUS: Record<ServiceErrorCode, number> = {
  validation_failed: 400,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  not_ready: 503,
};

export class ServiceError extends Error {
  readonly status: number;
  constructor(
    readonly code: ServiceErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ServiceError';
    this.status = STATUS[code];
  }
}

export const notFound = (kind: string, id: string) => new ServiceError('not_found', `${kind} ${id} not found`);
