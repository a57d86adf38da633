import type { FastifyReply } from 'fastify';
import { type FindableErrorCode, isFindableError } from '../core/errors';

/** HTTP status for each domain error: the client's fault is 4xx, ours is 5xx. */
const statusByCode: Partial<Record<FindableErrorCode, number>> = {
  IMAGE_EMPTY: 400,
  IMAGE_CORRUPT: 400,
  IMAGE_UNSUPPORTED: 415,
  IMAGE_TOO_LARGE: 413,
  SHAPE_MISMATCH: 400,
  INVALID_ARGUMENT: 400,
  NOT_FINITE: 400,
  CODEBOOK_VERSION: 409,
  CODEBOOK_INVALID: 400,
  CODEBOOK_EXTRACTOR_MISMATCH: 409,
  FACTORY_UNSUPPORTED: 400,
  FAISS_FORMAT: 400,
  ABORTED: 499,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  RATE_LIMITED: 429,
  PAYLOAD_TOO_LARGE: 413,
  TIMEOUT: 408,
  UNAVAILABLE: 503,
};

/** Stable codes for errors raised by Fastify and its plugins (validation, body limits, timeouts...). */
const codeByStatus: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  408: 'TIMEOUT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
};

interface ErrorLike {
  statusCode?: number;
  code?: string;
  message?: string;
}

/** Every API error is JSON {code, message}; 5xx details stay in the log, not in the response. */
export function sendError(reply: FastifyReply, error: unknown): FastifyReply {
  let status = 500;
  let code = 'INTERNAL';
  let message = 'Internal server error.';
  if (isFindableError(error)) {
    status = statusByCode[error.code] ?? 500;
    code = error.code;
    message = error.message;
  } else if (typeof error === 'object' && error !== null) {
    const e = error as ErrorLike;
    if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
      status = e.statusCode;
      // Fastify's own codes (FST_ERR_...) are internals: clients get our stable codes instead.
      code = e.code && !e.code.startsWith('FST_') ? e.code : (codeByStatus[status] ?? 'BAD_REQUEST');
      message = e.message ?? 'Bad request.';
    }
  }
  if (status >= 500) reply.log.error({ err: error }, 'request failed');
  return reply.status(status).type('application/json').send({ code, message });
}
