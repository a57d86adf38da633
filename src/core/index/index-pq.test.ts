import { describe, expect, it } from 'vitest';
import { loadFixture, maxRelDiff, meanSqErr, sameNeighbours } from './__fixtures__/load.ts';
import { IndexPQ } from './index-pq.ts';

describe('IndexPQ / ProductQuantizer (faiss IndexPQ, 8 bits)', () => {
  const fx = loadFixture('pq');
  const { d, M, k } = fx.meta as { d: number; M: number; k: number };
  const x = fx.x('x');
  const q = fx.x('q');
  const db = x.subarray(2000 * d);

  it('given faiss codebooks: identical codes, ids, distances and reconstructions', () => {
    const index = IndexPQ.fromParts({ d, M, pqCentroids: fx.f32('pq_centroids') });
    expect(index.pq.centroids.length).toBe(M * 256 * (d / M));
    const codes = index.encode(db, 1000);
    expect(Buffer.from(codes).equals(Buffer.from(fx.u8('codes')))).toBe(true);
    index.add(db, 1000);
    const res = index.search(q, 40, k);
    const D = fx.f32('D');
    const I = fx.ids('I');
    expect(sameNeighbours(res, D, I, 40, k)).toBe(0);
    expect(maxRelDiff(res.distances, D)).toBeLessThan(1e-4);
    expect(maxRelDiff(index.reconstruct(q, 40), fx.f32('q_rec'))).toBeLessThan(1e-6);
  });

  it('trains to within 2% of faiss quantisation error', () => {
    const index = new IndexPQ(d, M);
    index.train(x, 2000, { niter: fx.meta.niter });
    const ours = meanSqErr(index.reconstruct(x, 2000), x, 2000, d);
    const oursDb = meanSqErr(index.reconstruct(db, 1000), db, 1000, d);
    console.info(
      `PQ train MSE ours/faiss = ${(ours / fx.meta.faiss_mse_train).toFixed(4)}, held-out ${(oursDb / fx.meta.faiss_mse_db).toFixed(4)}`,
    );
    expect(ours / fx.meta.faiss_mse_train).toBeLessThan(1.02);
    expect(oursDb / fx.meta.faiss_mse_db).toBeLessThan(1.02);
  });

  it('refuses to encode before training', () => {
    expect(() => new IndexPQ(d, M).add(db, 1)).toThrow(/trained/);
  });
});
