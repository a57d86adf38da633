/**
 * Typed errors shared by the core, the worker, the server and the CLI.
 * Each error carries a stable `code` that the UI and the API map to a human message
 * (see src/core/error-messages.ts); `message` is for logs and developers.
 */
export type FindableErrorCode =
  // image input
  | 'IMAGE_EMPTY'
  | 'IMAGE_CORRUPT'
  | 'IMAGE_UNSUPPORTED'
  | 'IMAGE_TOO_LARGE'
  // shapes and numbers
  | 'SHAPE_MISMATCH'
  | 'INVALID_ARGUMENT'
  | 'NOT_FINITE'
  // codebook / index
  | 'CODEBOOK_INVALID'
  | 'CODEBOOK_VERSION'
  | 'CODEBOOK_EXTRACTOR_MISMATCH'
  | 'INDEX_NOT_TRAINED'
  | 'FAISS_FORMAT'
  | 'FACTORY_UNSUPPORTED'
  // models and graphs
  | 'MODEL_INVALID'
  | 'OP_UNSUPPORTED'
  | 'BACKEND_UNAVAILABLE'
  // control flow
  | 'ABORTED'
  | 'IO'
  // server API
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'RATE_LIMITED'
  | 'PAYLOAD_TOO_LARGE'
  | 'TIMEOUT'
  | 'UNAVAILABLE';

export class FindableError extends Error {
  readonly code: FindableErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: FindableErrorCode,
    message: string,
    details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'FindableError';
    this.code = code;
    this.details = details;
  }
}

export function isFindableError(e: unknown, code?: FindableErrorCode): e is FindableError {
  return e instanceof FindableError && (code === undefined || e.code === code);
}

/** Throws ABORTED if the signal has fired; call between units of work in long operations. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw new FindableError('ABORTED', 'The operation was cancelled.', undefined, { cause: signal.reason });
  }
}
