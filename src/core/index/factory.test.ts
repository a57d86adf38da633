import { describe, expect, it } from 'vitest';
import { isFindableError } from '../errors.ts';
import { indexFactory } from './factory.ts';
import { IndexFlat } from './index-flat.ts';
import { IndexIVFFlat } from './index-ivf-flat.ts';
import { IndexIVFPQ } from './index-ivf-pq.ts';
import type { IndexLSH } from './index-lsh.ts';
import { IndexPQ } from './index-pq.ts';
import { IndexPreTransform } from './index-pretransform.ts';
import { OPQMatrix } from './opq-matrix.ts';
import { PCAMatrix } from './pca-matrix.ts';
import { Mt19937 } from './rng.ts';

function data(n: number, d: number, seed: number): Float32Array {
  const r = new Mt19937(seed);
  const x = new Float32Array(n * d);
  for (let i = 0; i < x.length; i++) x[i] = r.randn();
  return x;
}

describe('indexFactory', () => {
  it('parses the paper configurations', () => {
    const ivfpq = indexFactory(32, 'IVF64,PQ8x8');
    expect(ivfpq).toBeInstanceOf(IndexIVFPQ);
    expect((ivfpq as IndexIVFPQ).nlist).toBe(64);
    expect((ivfpq as IndexIVFPQ).pq.M).toBe(8);
    expect((indexFactory(32, 'IVF16,PQ4') as IndexIVFPQ).pq.M).toBe(4);
    expect(indexFactory(32, 'IVF16,PQ4x8np')).toBeInstanceOf(IndexIVFPQ);
    expect(indexFactory(32, 'IVF16,Flat')).toBeInstanceOf(IndexIVFFlat);
    expect(indexFactory(32, 'Flat')).toBeInstanceOf(IndexFlat);
    expect(indexFactory(32, 'PQ8x8')).toBeInstanceOf(IndexPQ);
    const lsh = indexFactory(32, 'LSH') as IndexLSH;
    expect([lsh.nbits, lsh.rotateData, lsh.trainThresholds]).toEqual([32, false, false]);
    const lshr = indexFactory(32, 'LSH16rt') as IndexLSH;
    expect([lshr.nbits, lshr.rotateData, lshr.trainThresholds]).toEqual([16, true, true]);

    const opq = indexFactory(32, 'OPQ8,IVF16,PQ8x8') as IndexPreTransform;
    expect(opq.chain[0]).toBeInstanceOf(OPQMatrix);
    expect(opq.index).toBeInstanceOf(IndexIVFPQ);
    const opqd = indexFactory(32, 'OPQ4_16,PQ4x8') as IndexPreTransform;
    expect([opqd.chain[0].dIn, opqd.chain[0].dOut, opqd.index.d]).toEqual([32, 16, 16]);
    const pl = indexFactory(32, 'PCA8,LSH') as IndexPreTransform;
    expect(pl.chain[0]).toBeInstanceOf(PCAMatrix);
    expect((pl.index as IndexLSH).nbits).toBe(8);
    expect((indexFactory(32, 'PCAW8,Flat') as IndexPreTransform).chain[0]).toMatchObject({ eigenPower: -0.5 });
  });

  it('throws FACTORY_UNSUPPORTED naming the string', () => {
    for (const s of [
      'HNSW32',
      'IVF16,PQ8x4',
      'IVF16,SQ8',
      'OPQ8',
      'PQ5',
      'IVF16,PQ8x8,RFlat',
      '',
      'OPQ3,PQ3',
      'PCA64,LSH',
    ]) {
      let err: unknown;
      try {
        indexFactory(32, s);
      } catch (e) {
        err = e;
      }
      expect(isFindableError(err, 'FACTORY_UNSUPPORTED'), s).toBe(true);
      expect((err as Error).message).toContain(`"${s}"`);
    }
  });

  it('builds indexes that train, add, search and reconstruct end to end', () => {
    const d = 16;
    const x = data(1200, d, 3);
    for (const s of ['Flat', 'IVF8,Flat', 'IVF8,PQ4x8', 'PQ4', 'PCA8,LSH', 'LSH16r', 'OPQ4_8,IVF4,PQ2x8']) {
      const index = indexFactory(d, s);
      if (index instanceof IndexPreTransform && index.chain[0] instanceof OPQMatrix) {
        index.chain[0].niter = 2;
        index.chain[0].niterPq0 = 4;
      }
      // Fewer iterations to keep the test fast (extra keys are read by the classes that know them).
      const opts = { pqNiter: 4, niter: 4 };
      index.train(x, 1200, opts);
      expect(index.isTrained, s).toBe(true);
      index.add(x, 300);
      const res = index.search(x, 5, 3, { nprobe: 2 });
      expect(res.ids.length, s).toBe(15);
      for (let i = 0; i < 5; i++) {
        expect(res.ids[i * 3], s).toBeGreaterThanOrEqual(0);
        expect(res.distances[i * 3 + 1], s).toBeGreaterThanOrEqual(res.distances[i * 3]);
      }
      const t = index.activationTarget(x, 2);
      expect(t.length, s).toBe(2 * d);
      expect(index.decode(index.encode(x, 2), 2).length, s).toBe(2 * d);
    }
  });
});
