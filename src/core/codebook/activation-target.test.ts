/**
 * Activation targets from the codebook alone vs faiss 1.7.3: for every fixture index, target =
 * faiss sa_decode(sa_encode(x)) (for IVF-Flat: the assigned coarse centroid), codes = faiss sa_encode,
 * list = faiss quantizer.search(x, 1). The same after a JSON round trip, and the same as the quantizer
 * classes' own activationTarget (../index) built from the same faiss file.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { isFindableError } from '../errors.ts';
import { FIXTURE_NAMES, f32, loadFixture, u8 } from '../faiss/fixtures.test-helper.ts';
import { readFaissIndex } from '../faiss/read-index.ts';
import { faissToIndex } from '../faiss/to-quantizer.ts';
import { coarseCodeSize } from '../index/util.ts';
import { activationTarget, activationTargets } from './activation-target.ts';
import { codebookFromFaiss } from './from-faiss.ts';
import { parseCodebook } from './parse.ts';
import { serializeCodebookString } from './serialize.ts';
import type { CodebookParts } from './types.ts';

const EXTRACTOR = { id: 'x', sha256: '0'.repeat(64) };
const measured: string[] = [];

function maxAbs(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('activation targets vs faiss', () => {
  for (const name of FIXTURE_NAMES) {
    it(`${name}`, () => {
      const fx = loadFixture(name);
      const faissIdx = readFaissIndex(fx.bytes);
      const parts = codebookFromFaiss(faissIdx, { extractor: EXTRACTOR, createdAt: '2025-01-01T00:00:00Z' });
      const { nq, d } = fx.json;
      const golden = f32(
        fx.json.coarseCentroidTargets && parts.quantizer.type === 'ivf-flat'
          ? fx.json.coarseCentroidTargets
          : fx.json.saDecoded,
      );
      const targets = activationTargets(parts, fx.queries, nq);
      const err = maxAbs(targets, golden);
      expect(err, `${name} target vs faiss`).toBeLessThanOrEqual(1e-5);

      // Codes and lists, one query at a time.
      const sa = u8(fx.json.saCodes);
      const q = parts.quantizer;
      const cs = q.type === 'ivf-pq' || q.type === 'ivf-flat' ? coarseCodeSize(q.nlist) : 0;
      for (let i = 0; i < nq; i++) {
        const t = activationTarget(parts, fx.queries.subarray(i * d, (i + 1) * d));
        expect(t.listId).toBe(fx.json.coarseAssign ? fx.json.coarseAssign[i] : -1);
        const code = sa.subarray(i * fx.json.saCodeSize + cs, (i + 1) * fx.json.saCodeSize);
        if (q.type === 'pq' || q.type === 'ivf-pq') {
          expect(Array.from(t.code), `${name} query ${i} PQ code`).toEqual(Array.from(code)); // nbits 8: 1 byte each
        } else if (q.type === 'lsh') {
          expect(Array.from(t.code), `${name} query ${i} LSH bits`).toEqual(Array.from(code));
        }
      }

      // Through the JSON the browser downloads: identical targets.
      const cb = parseCodebook(serializeCodebookString(parts), { expectedExtractor: EXTRACTOR });
      expect(activationTargets(cb, fx.queries, nq)).toEqual(targets);

      // Same as the quantizer classes' own activationTarget, where they support the index.
      let classes = 'n/a';
      try {
        const index = faissToIndex(faissIdx);
        const viaClasses = index.activationTarget(fx.queries, nq);
        const e = maxAbs(viaClasses, targets);
        expect(e, `${name} vs ../index activationTarget`).toBeLessThanOrEqual(1e-5);
        classes = e.toExponential(2);
      } catch (e) {
        if (!isFindableError(e, 'FACTORY_UNSUPPORTED')) throw e;
      }
      measured.push(
        `${name.padEnd(13)} target maxAbs vs faiss ${err.toExponential(2)}, vs ../index classes ${classes}`,
      );
    });
  }

  afterAll(() => {
    if (measured.length) console.log(`activation targets:\n${measured.join('\n')}`);
  });
});

describe('activation targets: hand-checked cases and errors', () => {
  const base = { factory: 'test', metric: 'L2' as const, extractor: EXTRACTOR, createdAt: '2025-01-01T00:00:00Z' };

  it('PQ with 2 sub-quantizers of 2 centroids (nbits 1) picks the nearest, smallest index on ties', () => {
    const parts: CodebookParts = {
      ...base,
      d: 2,
      transforms: [],
      // M x ksub x dsub = 2 x 2 x 1: sub-quantizer 0 {0, 10}, sub-quantizer 1 {-1, 1}
      quantizer: { type: 'pq', d: 2, M: 2, nbits: 1, centroids: new Float32Array([0, 10, -1, 1]) },
    };
    const t = activationTarget(parts, [6, 0]);
    expect(Array.from(t.target)).toEqual([10, -1]);
    expect(Array.from(t.code)).toEqual([1, 0]);
    expect(Array.from(activationTarget(parts, [5, 0.5]).code)).toEqual([0, 1]);
  });

  it('IVF-PQ by residual: C_list + PQdecode(x - C_list); l2norm is undone by the identity', () => {
    const parts: CodebookParts = {
      ...base,
      d: 2,
      transforms: [{ type: 'l2norm', dIn: 2, dOut: 2 }],
      quantizer: {
        type: 'ivf-pq',
        d: 2,
        nlist: 2,
        centroids: new Float32Array([1, 0, 0, 1]),
        byResidual: true,
        M: 1,
        nbits: 1,
        pqCentroids: new Float32Array([0, 0, -0.5, 0.5]),
      },
    };
    // x = (3, 4) -> (0.6, 0.8): list 1 (0, 1); residual (0.6, -0.2): nearest (0, 0) -> target (0, 1)
    const t = activationTarget(parts, [3, 4]);
    expect(t.listId).toBe(1);
    expect(Array.from(t.target)).toEqual([0, 1]);
  });

  it('rejects wrong dimensions and non-finite features', () => {
    const parts: CodebookParts = { ...base, d: 3, transforms: [], quantizer: { type: 'flat', d: 3 } };
    expect(() => activationTarget(parts, [1, 2])).toThrow(/2 dimensions, the codebook expects 3/);
    expect(() => activationTarget(parts, [1, Number.NaN, 2])).toThrow(/component 1 is NaN/);
    expect(Array.from(activationTarget(parts, [1, 2, 3]).target)).toEqual([1, 2, 3]);
  });
});
