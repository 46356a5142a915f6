// Every error leaves the service in one JSON shape, {error: {code, message, details?}}, with
// its status decided here and nowhere else. Stack traces stay in the log.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { CoreError, type CoreErrorCode } from '../core.js';
import { ServiceError } from '../errors.js';
import { isRedisUnavailable } from '../redis.js';

interface HttpError {
  status: number;
  code: string;
  message: string;
  details?: unknown;
  headers?: Record<string, string>;
}

const CORE_STATUS: Record<CoreErrorCode, number> = {
  invalid_data: 400,
  degenerate_data: 422,
  model_too_large: 422,
  too_large: 413,
  unusable_support_set: 422,
  checkpoint_invalid: 500,
  backend_unavailable: 503,
};

// Fastify's own 4xx errors (bad JSON, body too large, unknown content type) keep their status.
const CODE_OF_STATUS: Record<number, string> = {
  400: 'validation_failed',
  404: 'not_found',
  406: 'not_acceptable',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
};

function toHttp(error: unknown): HttpError {
  if (hasZodFastifySchemaValidationErrors(error)) {
    const where = (error as FastifyError).validationContext ?? 'request';
    return {
      status: 400,
      code: 'validation_failed',
      message: `invalid ${where}`,
      details: error.validation.map((issue) => ({ in: where, path: issue.instancePath || '/', message: issue.message })),
    };
  }
  if (error instanceof ServiceError) {
    return { status: error.status, code: error.code, message: error.message, details: error.details, headers: error.headers };
  }
  if (error instanceof CoreError) {
    const status = CORE_STATUS[error.code];
    return status >= 500 && error.code === 'checkpoint_invalid'
      ? { status, code: error.code, message: 'the model checkpoint cannot be read' }
      : { status, code: error.code, message: error.message, details: error.details };
  }
  if (isRedisUnavailable(error)) {
    return { status: 503, code: 'redis_unavailable', message: 'Redis does not answer; retry shortly' };
  }
  const fastifyError = error as Partial<FastifyError>;
  if (fastifyError.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    // The router refuses before the route's own schema can name the field; same answer as that schema's.
    return { status: 400, code: 'validation_failed', message: 'invalid params', details: [{ in: 'params', path: '/', message: `longer than ${MAX_PARAM_LENGTH} characters` }] };
  }
  const status = fastifyError.statusCode;
  if (!isResponseSerializationError(error) && status && status >= 400 && status < 500) {
    return { status, code: CODE_OF_STATUS[status] ?? 'bad_request', message: fastifyError.message ?? 'bad request' };
  }
  return { status: 500, code: 'internal', message: 'internal error' };
}

/** Answers `error` in the one shape; for hooks that must answer whatever error handler their route's context has. */
export function sendError(request: FastifyRequest, reply: FastifyReply, error: unknown): FastifyReply {
  const { status, headers, ...body } = toHttp(error);
  if (status >= 500) request.log.error({ err: error }, 'request failed');
  if (headers) reply.headers(headers);
  // Every 503 is worth retrying: Redis, the store or the prediction process is coming back.
  if (status === 503 && !reply.hasHeader('retry-after')) reply.header('retry-after', '1');
  return reply.status(status).send({ error: body });
}

/** Longest path parameter the router takes; ids are at most 100 (IdParams), so the schema names anything between. */
export const MAX_PARAM_LENGTH = 200;

/** For Fastify's `frameworkErrors`: what the router refuses (a badly encoded URL, an overlong parameter) in the one shape too. */
export const frameworkErrors = (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => sendError(request, reply, error);

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => sendError(request, reply, error));
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ error: { code: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` } }),
  );
}
