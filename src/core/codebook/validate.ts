/**
 * Consistency checks of codebook parts, shared by serialize (never write a codebook the browser would
 * reject) and parse (never do math on a damaged one). Every failure is FindableError('CODEBOOK_INVALID')
 * whose message starts with the JSON path of the offending field, e.g. "quantizer.pqCentroids: ...".
 */
import { FindableError } from '../errors.ts';
import type { CodebookParts, QuantizerParts, TransformParts } from './types.ts';

export function invalid(field: string, message: string): never {
  throw new FindableError('CODEBOOK_INVALID', `codebook field ${field}: ${message}`, { field });
}

export function checkPositiveInt(field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    invalid(field, `must be a positive integer, got ${JSON.stringify(v)}`);
  }
  return v;
}

export function checkFinite(field: string, a: Float32Array): void {
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i])) invalid(field, `non-finite value ${a[i]} at element ${i}`);
  }
}

function checkArray(field: string, a: unknown, expected: number, shape: string): Float32Array {
  if (!(a instanceof Float32Array)) invalid(field, 'must be a Float32Array');
  if (a.length !== expected) invalid(field, `has ${a.length} values, expected ${shape} = ${expected}`);
  checkFinite(field, a);
  return a;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

export function checkExtractor(field: string, e: unknown): void {
  if (typeof e !== 'object' || e === null) invalid(field, 'must be an object {id, sha256}');
  const { id, sha256 } = e as Record<string, unknown>;
  if (typeof id !== 'string' || id.length === 0) invalid(`${field}.id`, 'must be a non-empty string');
  if (typeof sha256 !== 'string' || !SHA256_HEX.test(sha256)) {
    invalid(`${field}.sha256`, 'must be 64 lowercase hex characters');
  }
}

function checkTransform(field: string, t: TransformParts, dIn: number): number {
  if (t.dIn !== dIn) invalid(`${field}.dIn`, `is ${t.dIn} but the previous stage outputs ${dIn} dimensions`);
  checkPositiveInt(`${field}.dOut`, t.dOut);
  if (t.type === 'l2norm') {
    if (t.dOut !== t.dIn) invalid(`${field}.dOut`, `l2norm keeps the dimension: ${t.dOut} != ${t.dIn}`);
    return t.dOut;
  }
  if (!['pca', 'opq', 'rotation', 'linear'].includes(t.type)) {
    invalid(`${field}.type`, `unknown transform type ${JSON.stringify(t.type)}`);
  }
  checkArray(`${field}.A`, t.A, t.dOut * t.dIn, `dOut x dIn = ${t.dOut} x ${t.dIn}`);
  if (t.b !== null) checkArray(`${field}.b`, t.b, t.dOut, `dOut = ${t.dOut}`);
  return t.dOut;
}

function checkNbits(field: string, v: unknown): number {
  const n = checkPositiveInt(field, v);
  if (n > 16) invalid(field, `must be at most 16, got ${n}`);
  return n;
}

function checkQuantizer(q: QuantizerParts, d: number): void {
  if (q.d !== d) invalid('quantizer.d', `is ${q.d} but the transforms output ${d} dimensions`);
  switch (q.type) {
    case 'flat':
      return;
    case 'pq':
    case 'ivf-pq': {
      const M = checkPositiveInt('quantizer.M', q.M);
      if (d % M !== 0) invalid('quantizer.M', `d % M != 0 (d = ${d}, M = ${M})`);
      const nbits = checkNbits('quantizer.nbits', q.nbits);
      const name = q.type === 'pq' ? 'quantizer.centroids' : 'quantizer.pqCentroids';
      const pqc = q.type === 'pq' ? q.centroids : q.pqCentroids;
      checkArray(name, pqc, d * 2 ** nbits, `M x ksub x dsub = ${M} x ${2 ** nbits} x ${d / M}`);
      if (q.type === 'ivf-pq') {
        const nlist = checkPositiveInt('quantizer.nlist', q.nlist);
        checkArray('quantizer.centroids', q.centroids, nlist * d, `nlist x d = ${nlist} x ${d}`);
        if (typeof q.byResidual !== 'boolean') invalid('quantizer.byResidual', 'must be a boolean');
      }
      return;
    }
    case 'ivf-flat': {
      const nlist = checkPositiveInt('quantizer.nlist', q.nlist);
      checkArray('quantizer.centroids', q.centroids, nlist * d, `nlist x d = ${nlist} x ${d}`);
      return;
    }
    case 'lsh': {
      const nbits = checkPositiveInt('quantizer.nbits', q.nbits);
      if (q.rotation === null) {
        if (nbits > d) invalid('quantizer.nbits', `without a rotation nbits must be <= d (${nbits} > ${d})`);
      } else {
        checkArray('quantizer.rotation', q.rotation, nbits * d, `nbits x d = ${nbits} x ${d}`);
      }
      if (q.thresholds !== null) checkArray('quantizer.thresholds', q.thresholds, nbits, `nbits = ${nbits}`);
      return;
    }
    default: {
      const t = (q as { type: unknown }).type;
      invalid('quantizer.type', `unknown quantizer type ${JSON.stringify(t)}`);
    }
  }
}

/** Validates parts in place (no copies); throws CODEBOOK_INVALID naming the first bad field. */
export function validateCodebookParts(p: CodebookParts): void {
  if (typeof p.factory !== 'string' || p.factory.length === 0) invalid('factory', 'must be a non-empty string');
  if (p.metric !== 'L2') invalid('metric', `only "L2" is supported, got ${JSON.stringify(p.metric)}`);
  let dim = checkPositiveInt('d', p.d);
  checkExtractor('extractor', p.extractor);
  if (typeof p.createdAt !== 'string' || Number.isNaN(Date.parse(p.createdAt))) {
    invalid('createdAt', 'must be an ISO 8601 date string');
  }
  if (!Array.isArray(p.transforms)) invalid('transforms', 'must be an array');
  p.transforms.forEach((t, i) => {
    dim = checkTransform(`transforms[${i}]`, t, dim);
  });
  if (typeof p.quantizer !== 'object' || p.quantizer === null) invalid('quantizer', 'must be an object');
  checkQuantizer(p.quantizer, dim);
}
