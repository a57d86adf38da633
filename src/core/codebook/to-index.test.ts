import { describe, expect, it } from 'vitest';
import { indexToFaiss } from '../faiss/from-quantizer';
import { indexFactory } from '../index/factory';
import { Mt19937 } from '../index/rng';
import { codebookFromFaiss } from './from-faiss';
import { parseCodebook } from './parse';
import { serializeCodebookString } from './serialize';
import { indexFromCodebook, splitStandaloneCode } from './to-index';

const extractor = { id: 'test-extractor', sha256: 'c'.repeat(64) };

function data(n: number, d: number, seed: number): Float32Array {
  const rng = new Mt19937(seed);
  return Float32Array.from({ length: n * d }, () => rng.randn());
}

describe('indexFromCodebook', () => {
  // A trained index -> codebook JSON -> parse -> index: codes and targets must be exactly the original's.
  for (const factory of ['IVF16,PQ4x8', 'IVF8,Flat', 'PQ4x8', 'OPQ4,IVF8,PQ4x8', 'PCA16,LSH']) {
    it(`round-trips ${factory} through the codebook JSON`, () => {
      const d = 32;
      const original = indexFactory(d, factory);
      original.train(data(2000, d, 1), 2000);
      const json = serializeCodebookString(codebookFromFaiss(indexToFaiss(original), { extractor, factory }));
      const rebuilt = indexFromCodebook(parseCodebook(json, { expectedExtractor: extractor }));
      const q = data(50, d, 2);
      expect(Array.from(rebuilt.encode(q, 50))).toEqual(Array.from(original.encode(q, 50)));
      const a = original.activationTarget(q, 50);
      const b = rebuilt.activationTarget(q, 50);
      for (let i = 0; i < a.length; i++) expect(b[i]).toBeCloseTo(a[i], 5);
    });
  }

  it('splits an IVF standalone code into the list number and the list code', () => {
    const index = indexFactory(8, 'IVF300,PQ2x8');
    index.train(data(12000, 8, 3), 12000);
    const x = data(1, 8, 4);
    const sa = index.encode(x, 1);
    const { listId, code } = splitStandaloneCode(index, sa);
    expect(sa.length).toBe(2 + 2); // 300 lists need 2 bytes, then M = 2 code bytes
    expect(listId).toBe(sa[0] + 256 * sa[1]);
    expect(listId).toBeLessThan(300);
    expect(Array.from(code)).toEqual(Array.from(sa.subarray(2)));
    const flat = splitStandaloneCode(indexFactory(8, 'PQ2x8'), Uint8Array.of(7, 9));
    expect(flat).toEqual({ listId: null, code: Uint8Array.of(7, 9) });
  });
});
