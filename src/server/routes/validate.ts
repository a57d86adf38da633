/** Input checks the JSON schemas cannot express, each failing with a typed 4xx FindableError. */
import { FindableError } from '../../core/errors';
import type { LiveIndex } from '../live-index';
import type { RegistryContext } from './context';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Strict standard base64 (padding required, no whitespace, no base64url). */
export function decodeBase64(field: string, value: string): Uint8Array {
  if (!BASE64.test(value)) {
    throw new FindableError('INVALID_ARGUMENT', `${field} is not valid base64 (standard alphabet, padded).`, {
      field,
    });
  }
  return new Uint8Array(Buffer.from(value, 'base64'));
}

/** A feature from JSON: the right length and finite in float32 (1e39 overflows to Infinity). */
export function toFeature(field: string, values: readonly number[], d: number): Float32Array {
  if (values.length !== d) {
    throw new FindableError('SHAPE_MISMATCH', `${field} has ${values.length} values; the extractor gives ${d}.`, {
      field,
      expected: d,
      actual: values.length,
    });
  }
  const feature = Float32Array.from(values);
  for (let i = 0; i < feature.length; i++) {
    if (!Number.isFinite(feature[i]) || typeof values[i] !== 'number') {
      throw new FindableError('NOT_FINITE', `${field}[${i}] is not a finite float32 number.`, { field, index: i });
    }
  }
  return feature;
}

/** An http(s) URL without credentials, normalised. */
export function checkUrl(field: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new FindableError('INVALID_ARGUMENT', `${field} is not a valid URL.`, { field });
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password || !url.hostname) {
    throw new FindableError('INVALID_ARGUMENT', `${field} must be an http(s) URL without credentials.`, { field });
  }
  return url.href;
}

export function requireIndex(ctx: RegistryContext): LiveIndex {
  if (!ctx.index) {
    throw new FindableError('UNAVAILABLE', 'No codebook is loaded on this server: registration and search are off.');
  }
  return ctx.index;
}

export function checkCodebookVersion(index: LiveIndex, version: string): void {
  if (version !== index.codebookVersion) {
    throw new FindableError(
      'CODEBOOK_VERSION',
      `This code was made with codebook "${version}"; the server indexes codebook "${index.codebookVersion}". ` +
        'Reload the codebook (GET /api/codebook) and encode again.',
      { expected: index.codebookVersion, actual: version },
    );
  }
}

/** Image ids in URLs: positive decimal integers, no leading zeros. */
export const idParamSchema = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', pattern: '^[1-9][0-9]{0,14}$' } },
} as const;

/** Titles and names: no control characters. */
export const PRINTABLE = '^[^\\u0000-\\u001f\\u007f]*$';
