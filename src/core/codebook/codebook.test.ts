/**
 * Codebook JSON: round trip of every quantizer type (from faiss-trained fixtures), the content hash, and
 * every validation error parse() must raise before any math.
 */
import { describe, expect, it } from 'vitest';
import { type FindableError, type FindableErrorCode, isFindableError } from '../errors.ts';
import { FIXTURE_NAMES, loadFixture } from '../faiss/fixtures.test-helper.ts';
import { readFaissIndex } from '../faiss/read-index.ts';
import { encodeFloat32Base64 } from './base64.ts';
import { codebookContentHash } from './content-hash.ts';
import { codebookFromFaiss } from './from-faiss.ts';
import { parseCodebook } from './parse.ts';
import { serializeCodebook, serializeCodebookString } from './serialize.ts';
import type { CodebookParts, ExtractorRef } from './types.ts';

const EXTRACTOR: ExtractorRef = { id: 'test-extractor-v1', sha256: 'ab'.repeat(32) };
const CREATED = '2025-01-02T03:04:05.000Z';

function partsOf(name: (typeof FIXTURE_NAMES)[number]): CodebookParts {
  return codebookFromFaiss(readFaissIndex(loadFixture(name).bytes), { extractor: EXTRACTOR, createdAt: CREATED });
}

function errorOf(f: () => unknown): FindableError {
  try {
    f();
  } catch (e) {
    if (isFindableError(e)) return e;
    throw e;
  }
  throw new Error('expected a FindableError');
}

function expectError(f: () => unknown, code: FindableErrorCode, message: RegExp): void {
  const e = errorOf(f);
  expect(e.code, e.message).toBe(code);
  expect(e.message).toMatch(message);
}

/** A mutable copy of a serialized document, with its content hash recomputed after `edit`. */
// biome-ignore lint/suspicious/noExplicitAny: deliberately malformed documents
function edited(parts: CodebookParts, edit: (doc: any) => void, rehash = true): any {
  const doc = JSON.parse(serializeCodebookString(parts));
  edit(doc);
  if (rehash) doc.contentHash = codebookContentHash(doc);
  return doc;
}

describe('codebook round trip', () => {
  it('derives faiss factory strings from the index structure', () => {
    const expected: Record<string, string> = {
      flat: 'Flat',
      pq: 'PQ8',
      ivfflat: 'IVF16,Flat',
      ivfpq: 'IVF32,PQ8',
      ivfpq_sparse: 'IVF16,PQ4',
      opq_ivfpq: 'OPQ8,IVF16,PQ8',
      pcar_ivfpq: 'PCAR16,IVF16,PQ4',
      pca_lsh: 'PCA32,LSH',
      lshrt: 'LSHrt',
      ivfpq_nores: 'IVF8,PQ8',
    };
    for (const name of FIXTURE_NAMES) {
      expect(partsOf(name).factory, name).toBe(expected[name]);
      expect(partsOf(name).factory, name).toBe(loadFixture(name).json.factory);
    }
  });

  for (const name of FIXTURE_NAMES) {
    it(`${name}: parse(serialize(parts)) gives the same parts and a stable content hash`, () => {
      const parts = partsOf(name);
      const text = serializeCodebookString(parts);
      const cb = parseCodebook(text, { expectedExtractor: EXTRACTOR });
      expect(cb.version).toBe(1);
      expect(cb.contentHash).toMatch(/^sha256-[0-9a-f]{64}$/);
      const { version: _v, contentHash: _h, ...rest } = cb;
      expect(rest).toEqual(parts);
      // Same content, later export: same hash (createdAt is excluded); written twice: same text.
      expect(serializeCodebook({ ...parts, createdAt: '2030-01-01T00:00:00Z' }).contentHash).toBe(cb.contentHash);
      expect(serializeCodebookString(cb)).toBe(text);
      // The codebook never carries stored vectors or inverted lists.
      expect(text).not.toMatch(/"(ids|codes|lists|invlists|vectors)"/);
    });
  }

  it('works without Buffer, atob and btoa (browser-like globals)', () => {
    const parts = partsOf('opq_ivfpq');
    const text = serializeCodebookString(parts);
    const g = globalThis as Record<string, unknown>;
    const saved = { Buffer: g.Buffer, atob: g.atob, btoa: g.btoa };
    try {
      g.Buffer = undefined;
      g.atob = undefined;
      g.btoa = undefined;
      expect(serializeCodebookString(parseCodebook(text))).toBe(text);
    } finally {
      Object.assign(g, saved);
    }
  });

  it('hash ignores key order and whitespace but not values', () => {
    const parts = partsOf('ivfpq');
    const doc = serializeCodebook(parts);
    const reordered = Object.fromEntries(Object.entries(doc).reverse());
    expect(parseCodebook(JSON.stringify(reordered, null, 2)).contentHash).toBe(doc.contentHash);
    const other = serializeCodebook({ ...parts, factory: 'IVF32,PQ8x8' });
    expect(other.contentHash).not.toBe(doc.contentHash);
  });

  it('keeps float32 values bit-exact through JSON', () => {
    const parts = partsOf('opq_ivfpq');
    const cb = parseCodebook(serializeCodebookString(parts));
    const a = parts.transforms[0];
    const b = cb.transforms[0];
    if (a.type === 'l2norm' || b.type === 'l2norm') throw new Error('unexpected');
    expect(new Uint8Array(b.A.buffer)).toEqual(new Uint8Array(a.A.slice().buffer));
  });
});

describe('codebook validation (before any math)', () => {
  const parts = partsOf('ivfpq');
  const pqParts = partsOf('pq');

  it('rejects newer / older format versions with CODEBOOK_VERSION', () => {
    expectError(() => parseCodebook(edited(parts, (d) => (d.version = 2))), 'CODEBOOK_VERSION', /version 2 is newer/);
    expectError(() => parseCodebook(edited(parts, (d) => (d.version = 0))), 'CODEBOOK_VERSION', /version 0 is older/);
  });

  it('rejects a missing or malformed version as damage (CODEBOOK_INVALID)', () => {
    expectError(() => parseCodebook(edited(parts, (d) => delete d.version)), 'CODEBOOK_INVALID', /field version/);
    expectError(() => parseCodebook(edited(parts, (d) => (d.version = '1'))), 'CODEBOOK_INVALID', /field version/);
  });

  it('rejects a codebook made for another extractor', () => {
    expectError(
      () => parseCodebook(serializeCodebookString(parts), { expectedExtractor: { ...EXTRACTOR, id: 'other' } }),
      'CODEBOOK_EXTRACTOR_MISMATCH',
      /trained for extractor test-extractor-v1 .* this app runs other/,
    );
    expectError(
      () =>
        parseCodebook(serializeCodebookString(parts), { expectedExtractor: { ...EXTRACTOR, sha256: 'cd'.repeat(32) } }),
      'CODEBOOK_EXTRACTOR_MISMATCH',
      /sha256 abab/,
    );
    expectError(
      () => parseCodebook(edited(parts, (d) => (d.extractor.sha256 = 'xyz'))),
      'CODEBOOK_INVALID',
      /field extractor.sha256/,
    );
  });

  it('rejects truncated arrays naming the field', () => {
    expectError(
      () =>
        parseCodebook(edited(parts, (d) => (d.quantizer.pqCentroids.data = d.quantizer.pqCentroids.data.slice(0, -8)))),
      'CODEBOOK_INVALID',
      /field quantizer.pqCentroids.data: base64 of \d+ characters does not hold 65536 bytes \(shape \[8, 256, 8\] float32\): truncated/,
    );
    expectError(
      () => parseCodebook(serializeCodebookString(parts).slice(0, 5000)),
      'CODEBOOK_INVALID',
      /not valid JSON/,
    );
  });

  it('rejects arrays inconsistent with the declared sizes (nlist, M, d, transforms)', () => {
    expectError(
      () => parseCodebook(edited(parts, (d) => (d.quantizer.nlist = 31))),
      'CODEBOOK_INVALID',
      /field quantizer.centroids.shape: is \[32,64\] but the declared sizes give \[31, 64\]/,
    );
    expectError(
      () => parseCodebook(edited(parts, (d) => (d.quantizer.M = 7))),
      'CODEBOOK_INVALID',
      /field quantizer.M: d % M != 0 \(d = 64, M = 7\)/,
    );
    expectError(
      () => parseCodebook(edited(parts, (d) => (d.quantizer.d = 32))),
      'CODEBOOK_INVALID',
      /field quantizer.centroids.shape/,
    );
    expectError(() => parseCodebook(edited(parts, (d) => (d.d = 32))), 'CODEBOOK_INVALID', /field quantizer.d: is 64/);
    const opq = partsOf('opq_ivfpq');
    expectError(
      () => parseCodebook(edited(opq, (d) => (d.transforms[0].dIn = 16))),
      'CODEBOOK_INVALID',
      /field transforms\[0\].A.shape/,
    );
    expectError(
      () => parseCodebook(edited(pqParts, (d) => (d.quantizer.nbits = 7))),
      'CODEBOOK_INVALID',
      /field quantizer.centroids.shape/,
    );
    expectError(
      () => parseCodebook(edited(parts, (d) => (d.quantizer.type = 'hnsw'))),
      'CODEBOOK_INVALID',
      /field quantizer.type: unknown quantizer type "hnsw"/,
    );
    expectError(() => parseCodebook(edited(parts, (d) => (d.metric = 'IP'))), 'CODEBOOK_INVALID', /field metric/);
    expectError(
      () => parseCodebook(edited(parts, (d) => (d.format = 'x'))),
      'CODEBOOK_INVALID',
      /not a Findable codebook/,
    );
  });

  it('rejects non-finite values naming the field and element', () => {
    const bad = parts.quantizer.type === 'ivf-pq' ? parts.quantizer.centroids.slice() : new Float32Array(0);
    bad[70] = Number.NaN;
    expectError(
      () => parseCodebook(edited(parts, (d) => (d.quantizer.centroids.data = encodeFloat32Base64(bad)))),
      'CODEBOOK_INVALID',
      /field quantizer.centroids.data: non-finite value NaN at element 70/,
    );
  });

  it('detects content altered after export (hash mismatch)', () => {
    const doc = edited(
      parts,
      (d) => {
        const c = Buffer.from(d.quantizer.centroids.data, 'base64');
        c[0] ^= 1; // valid base64, finite float, right length: only the hash can tell
        d.quantizer.centroids.data = c.toString('base64');
      },
      false,
    );
    expectError(() => parseCodebook(doc), 'CODEBOOK_INVALID', /field contentHash: .*altered or damaged/);
  });

  it('serialize refuses inconsistent parts', () => {
    const q = pqParts.quantizer;
    if (q.type !== 'pq') throw new Error('unexpected');
    expectError(
      () => serializeCodebook({ ...pqParts, quantizer: { ...q, M: 5 } }),
      'CODEBOOK_INVALID',
      /field quantizer.M: d % M != 0/,
    );
    expectError(
      () => serializeCodebook({ ...pqParts, extractor: { id: '', sha256: EXTRACTOR.sha256 } }),
      'CODEBOOK_INVALID',
      /field extractor.id/,
    );
    expectError(
      () =>
        serializeCodebook({
          ...pqParts,
          quantizer: { type: 'lsh', d: 32, nbits: 64, rotation: null, thresholds: null },
        }),
      'CODEBOOK_INVALID',
      /field quantizer.nbits: without a rotation nbits must be <= d/,
    );
  });
});
