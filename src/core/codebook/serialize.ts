/**
 * Codebook parts -> JSON document (format version 1, docs/codebook.md).
 *
 * Arrays are written as {"dtype": "float32", "shape": [...], "data": base64 of the little-endian bytes}:
 * exact (no decimal round trip), ~1.33 bytes per byte, and gzip/brotli on the wire recovers part of that.
 * Keys are written in a fixed order so that two exports of the same parameters are identical files; the
 * content hash (see content-hash.ts) does not depend on that order anyway.
 */
import { encodeFloat32Base64 } from './base64.ts';
import { codebookContentHash } from './content-hash.ts';
import {
  CODEBOOK_FORMAT,
  CODEBOOK_VERSION,
  type CodebookParts,
  type QuantizerParts,
  type TransformParts,
} from './types.ts';
import { validateCodebookParts } from './validate.ts';

export interface Float32ArrayJson {
  dtype: 'float32';
  shape: number[];
  /** base64 (RFC 4648, padded) of the row-major little-endian float32 bytes */
  data: string;
}

export interface CodebookJson {
  format: typeof CODEBOOK_FORMAT;
  version: number;
  contentHash: string;
  createdAt: string;
  extractor: { id: string; sha256: string };
  factory: string;
  metric: 'L2';
  d: number;
  transforms: Record<string, unknown>[];
  quantizer: Record<string, unknown>;
}

function arr(a: Float32Array, shape: number[]): Float32ArrayJson {
  return { dtype: 'float32', shape, data: encodeFloat32Base64(a) };
}

function transformJson(t: TransformParts): Record<string, unknown> {
  if (t.type === 'l2norm') return { type: t.type, dIn: t.dIn, dOut: t.dOut };
  return {
    type: t.type,
    dIn: t.dIn,
    dOut: t.dOut,
    A: arr(t.A, [t.dOut, t.dIn]),
    b: t.b === null ? null : arr(t.b, [t.dOut]),
  };
}

function quantizerJson(q: QuantizerParts): Record<string, unknown> {
  switch (q.type) {
    case 'flat':
      return { type: q.type, d: q.d };
    case 'pq':
      return {
        type: q.type,
        d: q.d,
        M: q.M,
        nbits: q.nbits,
        centroids: arr(q.centroids, [q.M, 2 ** q.nbits, q.d / q.M]),
      };
    case 'ivf-flat':
      return { type: q.type, d: q.d, nlist: q.nlist, centroids: arr(q.centroids, [q.nlist, q.d]) };
    case 'ivf-pq':
      return {
        type: q.type,
        d: q.d,
        nlist: q.nlist,
        byResidual: q.byResidual,
        M: q.M,
        nbits: q.nbits,
        centroids: arr(q.centroids, [q.nlist, q.d]),
        pqCentroids: arr(q.pqCentroids, [q.M, 2 ** q.nbits, q.d / q.M]),
      };
    case 'lsh':
      return {
        type: q.type,
        d: q.d,
        nbits: q.nbits,
        rotation: q.rotation === null ? null : arr(q.rotation, [q.nbits, q.d]),
        thresholds: q.thresholds === null ? null : arr(q.thresholds, [q.nbits]),
      };
  }
}

/** Validates the parts and builds the JSON document (an object; see serializeCodebookString). */
export function serializeCodebook(parts: CodebookParts): CodebookJson {
  validateCodebookParts(parts);
  const doc: CodebookJson = {
    format: CODEBOOK_FORMAT,
    version: CODEBOOK_VERSION,
    contentHash: '',
    createdAt: parts.createdAt,
    extractor: { id: parts.extractor.id, sha256: parts.extractor.sha256 },
    factory: parts.factory,
    metric: parts.metric,
    d: parts.d,
    transforms: parts.transforms.map(transformJson),
    quantizer: quantizerJson(parts.quantizer),
  };
  doc.contentHash = codebookContentHash(doc as unknown as Record<string, unknown>);
  return doc;
}

/** The JSON text of serializeCodebook (compact: the arrays dominate; pretty-printing adds nothing). */
export function serializeCodebookString(parts: CodebookParts): string {
  return JSON.stringify(serializeCodebook(parts));
}
