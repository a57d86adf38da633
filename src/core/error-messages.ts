import type { FindableErrorCode } from './errors';

/** What a person sees for each error code: what happened and what to do about it. */
export const errorMessages: Record<FindableErrorCode, string> = {
  IMAGE_EMPTY: 'This file is empty (0 bytes). Check that it finished downloading or copying.',
  IMAGE_CORRUPT: 'This image is damaged or truncated and cannot be read. Try exporting it again.',
  IMAGE_UNSUPPORTED: 'This file is not an image format Findable can read. Use JPEG, PNG, WebP, AVIF, GIF or TIFF.',
  IMAGE_TOO_LARGE: 'This image is too large to process safely. Reduce it below the size limit and try again.',
  SHAPE_MISMATCH: 'The data has the wrong size or shape for this operation.',
  INVALID_ARGUMENT: 'A setting or argument is out of range. Check the values and try again.',
  NOT_FINITE: 'The data contains invalid numbers (NaN or infinity).',
  CODEBOOK_INVALID: 'The index codebook is damaged or incomplete. Reload the page or re-download the codebook.',
  CODEBOOK_VERSION: 'The index codebook is of a version this app does not understand. Update Findable.',
  CODEBOOK_EXTRACTOR_MISMATCH:
    'The index codebook was made for a different model. Use the codebook that matches this model.',
  INDEX_NOT_TRAINED: 'The index has not been trained yet. Train it before adding or searching.',
  FAISS_FORMAT: 'The faiss index file is damaged or of an unsupported type.',
  FACTORY_UNSUPPORTED: 'This index type is not supported. See docs/codebook.md for the supported factory strings.',
  MODEL_INVALID: 'The model file is damaged or not the expected model. Re-download it.',
  OP_UNSUPPORTED: 'The model uses an operation Findable cannot differentiate yet.',
  BACKEND_UNAVAILABLE: 'No compute backend could start on this device.',
  ABORTED: 'Cancelled.',
  IO: 'A file could not be read or written. Check the path and permissions.',
  UNAUTHORIZED: 'This needs a valid access token. Ask the server operator for one (findable tokens create).',
  FORBIDDEN: 'Only the token that registered this image may change or delete it.',
  NOT_FOUND: 'Nothing was found at this address. It may have been deleted.',
  RATE_LIMITED: 'Too many requests. Wait a minute and try again.',
  PAYLOAD_TOO_LARGE: 'The request is larger than the server accepts. Send a smaller file or fewer items.',
  TIMEOUT: 'The request took too long and was stopped. Try again, or with a smaller input.',
  UNAVAILABLE: 'The server is not ready for this yet (no index codebook or model loaded). Try again later.',
};

export function messageFor(code: string): string {
  return (errorMessages as Record<string, string>)[code] ?? 'Something went wrong.';
}
