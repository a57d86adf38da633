/**
 * JSON document -> validated codebook parts. Everything is checked before any math runs on it, in this
 * order, so that the error a person sees is the one they can act on:
 *   1. it is a JSON object with format "findable-codebook"                    else CODEBOOK_INVALID
 *   2. "version" is an integer; exactly 1 (a newer file needs a newer app)     else CODEBOOK_VERSION
 *      (a missing or non-integer version is damage, CODEBOOK_INVALID)
 *   3. the extractor matches options.expectedExtractor (id and sha256)         else CODEBOOK_EXTRACTOR_MISMATCH
 *   4. every field: types, shapes against the declared sizes (nlist, M, nbits, d, dIn/dOut), base64 length
 *      against the shape (truncation), finite values, d % M == 0, chained dimensions   else CODEBOOK_INVALID
 *   5. contentHash equals the hash of the content (corruption in transit)     else CODEBOOK_INVALID
 * Messages name the field by its JSON path ("quantizer.pqCentroids: ...").
 */
import { FindableError } from '../errors.ts';
import { decodeFloat32Base64 } from './base64.ts';
import { codebookContentHash } from './content-hash.ts';
import {
  CODEBOOK_FORMAT,
  CODEBOOK_VERSION,
  type Codebook,
  type ExtractorRef,
  type QuantizerParts,
  type TransformParts,
} from './types.ts';
import { checkExtractor, checkPositiveInt, invalid, validateCodebookParts } from './validate.ts';

export interface ParseCodebookOptions {
  /** The extractor this app runs; a codebook trained for another one is rejected. */
  expectedExtractor?: ExtractorRef;
}

type Obj = Record<string, unknown>;

function obj(field: string, v: unknown): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) invalid(field, 'must be an object');
  return v as Obj;
}

function str(field: string, v: unknown): string {
  if (typeof v !== 'string') invalid(field, 'must be a string');
  return v;
}

/** A float32 array field: {dtype: "float32", shape, data}; shape must equal `shape` (declared sizes). */
function floatArray(field: string, v: unknown, shape: number[]): Float32Array {
  const o = obj(field, v);
  if (o.dtype !== 'float32') invalid(`${field}.dtype`, `must be "float32", got ${JSON.stringify(o.dtype)}`);
  const s = o.shape;
  if (!Array.isArray(s) || s.length !== shape.length || s.some((x, i) => x !== shape[i])) {
    invalid(`${field}.shape`, `is ${JSON.stringify(s)} but the declared sizes give [${shape.join(', ')}]`);
  }
  const data = str(`${field}.data`, o.data);
  const expectedBytes = 4 * shape.reduce((a, b) => a * b, 1);
  // Length check before decoding: a truncated download is the common failure, report it plainly.
  const decodedBytes = (data.length / 4) * 3 - (data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0);
  if (data.length % 4 !== 0 || decodedBytes !== expectedBytes) {
    invalid(
      `${field}.data`,
      `base64 of ${data.length} characters does not hold ${expectedBytes} bytes (shape [${shape.join(', ')}] float32): truncated?`,
    );
  }
  let a: Float32Array;
  try {
    a = decodeFloat32Base64(data);
  } catch (e) {
    invalid(`${field}.data`, e instanceof Error ? e.message : String(e));
  }
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i])) invalid(`${field}.data`, `non-finite value ${a[i]} at element ${i}`);
  }
  return a;
}

function parseTransform(field: string, v: unknown): TransformParts {
  const o = obj(field, v);
  const type = o.type;
  const dIn = checkPositiveInt(`${field}.dIn`, o.dIn);
  const dOut = checkPositiveInt(`${field}.dOut`, o.dOut);
  if (type === 'l2norm') return { type, dIn, dOut };
  if (type !== 'pca' && type !== 'opq' && type !== 'rotation' && type !== 'linear') {
    invalid(`${field}.type`, `unknown transform type ${JSON.stringify(type)}`);
  }
  const A = floatArray(`${field}.A`, o.A, [dOut, dIn]);
  const b = o.b === null || o.b === undefined ? null : floatArray(`${field}.b`, o.b, [dOut]);
  return { type, dIn, dOut, A, b };
}

function pqShape(field: string, d: number, M: number, nbits: number): number[] {
  if (d % M !== 0) invalid(`${field}.M`, `d % M != 0 (d = ${d}, M = ${M})`);
  if (nbits > 16) invalid(`${field}.nbits`, `must be at most 16, got ${nbits}`);
  return [M, 2 ** nbits, d / M];
}

function parseQuantizer(v: unknown): QuantizerParts {
  const f = 'quantizer';
  const o = obj(f, v);
  const d = checkPositiveInt(`${f}.d`, o.d);
  switch (o.type) {
    case 'flat':
      return { type: 'flat', d };
    case 'pq': {
      const M = checkPositiveInt(`${f}.M`, o.M);
      const nbits = checkPositiveInt(`${f}.nbits`, o.nbits);
      const centroids = floatArray(`${f}.centroids`, o.centroids, pqShape(f, d, M, nbits));
      return { type: 'pq', d, M, nbits, centroids };
    }
    case 'ivf-flat': {
      const nlist = checkPositiveInt(`${f}.nlist`, o.nlist);
      return { type: 'ivf-flat', d, nlist, centroids: floatArray(`${f}.centroids`, o.centroids, [nlist, d]) };
    }
    case 'ivf-pq': {
      const nlist = checkPositiveInt(`${f}.nlist`, o.nlist);
      if (typeof o.byResidual !== 'boolean') invalid(`${f}.byResidual`, 'must be a boolean');
      const M = checkPositiveInt(`${f}.M`, o.M);
      const nbits = checkPositiveInt(`${f}.nbits`, o.nbits);
      const centroids = floatArray(`${f}.centroids`, o.centroids, [nlist, d]);
      const pqCentroids = floatArray(`${f}.pqCentroids`, o.pqCentroids, pqShape(f, d, M, nbits));
      return { type: 'ivf-pq', d, nlist, centroids, byResidual: o.byResidual, M, nbits, pqCentroids };
    }
    case 'lsh': {
      const nbits = checkPositiveInt(`${f}.nbits`, o.nbits);
      const rotation = o.rotation == null ? null : floatArray(`${f}.rotation`, o.rotation, [nbits, d]);
      const thresholds = o.thresholds == null ? null : floatArray(`${f}.thresholds`, o.thresholds, [nbits]);
      return { type: 'lsh', d, nbits, rotation, thresholds };
    }
    default:
      return invalid(`${f}.type`, `unknown quantizer type ${JSON.stringify(o.type)}`);
  }
}

/** Parses and validates a codebook (JSON text or the already-parsed object). */
export function parseCodebook(json: string | unknown, options: ParseCodebookOptions = {}): Codebook {
  let raw: unknown = json;
  if (typeof json === 'string') {
    try {
      raw = JSON.parse(json);
    } catch (e) {
      invalid('(document)', `not valid JSON (${e instanceof Error ? e.message : String(e)}): truncated?`);
    }
  }
  const doc = obj('(document)', raw);
  if (doc.format !== CODEBOOK_FORMAT) {
    invalid('format', `must be "${CODEBOOK_FORMAT}", got ${JSON.stringify(doc.format)}: not a Findable codebook`);
  }
  const version = doc.version;
  if (typeof version !== 'number' || !Number.isInteger(version)) {
    invalid('version', `must be an integer format version, got ${JSON.stringify(version)}`);
  }
  if (version !== CODEBOOK_VERSION) {
    const why = version > CODEBOOK_VERSION ? 'newer than' : 'older than';
    throw new FindableError(
      'CODEBOOK_VERSION',
      `codebook format version ${version} is ${why} the supported version ${CODEBOOK_VERSION}`,
      { version, supported: CODEBOOK_VERSION },
    );
  }
  checkExtractor('extractor', doc.extractor);
  const extractor = doc.extractor as ExtractorRef;
  const expected = options.expectedExtractor;
  if (expected && (expected.id !== extractor.id || expected.sha256 !== extractor.sha256)) {
    throw new FindableError(
      'CODEBOOK_EXTRACTOR_MISMATCH',
      `codebook was trained for extractor ${extractor.id} (sha256 ${extractor.sha256}), ` +
        `this app runs ${expected.id} (sha256 ${expected.sha256})`,
      { codebook: { ...extractor }, expected: { ...expected } },
    );
  }
  const factory = str('factory', doc.factory);
  if (doc.metric !== 'L2') invalid('metric', `only "L2" is supported, got ${JSON.stringify(doc.metric)}`);
  const d = checkPositiveInt('d', doc.d);
  const createdAt = str('createdAt', doc.createdAt);
  if (!Array.isArray(doc.transforms)) invalid('transforms', 'must be an array');
  const transforms = doc.transforms.map((t, i) => parseTransform(`transforms[${i}]`, t));
  const quantizer = parseQuantizer(doc.quantizer);
  const contentHash = str('contentHash', doc.contentHash);
  const codebook: Codebook = {
    version,
    contentHash,
    factory,
    metric: 'L2',
    d,
    transforms,
    quantizer,
    extractor: { id: extractor.id, sha256: extractor.sha256 },
    createdAt,
  };
  // Cross-field consistency (chained dimensions, quantizer.d) with the same rules as serialize.
  validateCodebookParts(codebook);
  const actual = codebookContentHash(doc);
  if (actual !== contentHash) {
    invalid('contentHash', `is ${contentHash} but the content hashes to ${actual}: the file was altered or damaged`);
  }
  return codebook;
}
