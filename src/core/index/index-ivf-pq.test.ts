import { describe, expect, it } from 'vitest';
import { loadFixture, maxRelDiff, meanSqErr, sameNeighbours } from './__fixtures__/load.ts';
import { IndexIVFPQ } from './index-ivf-pq.ts';

describe('IndexIVFPQ (faiss IVF<nlist>,PQ<M>x8, by_residual)', () => {
  const fx = loadFixture('ivfpq');
  const { d, nlist, M, k } = fx.meta as { d: number; nlist: number; M: number; k: number };
  const x = fx.x('x');
  const q = fx.f32('q');
  const db = x.subarray(3000 * d);
  const nq = q.length / d;
  const parts = { d, nlist, M, centroids: fx.f32('centroids'), pqCentroids: fx.f32('pq_centroids') };

  it('given faiss parts: identical standalone codes, reconstructions, search ids and distances', () => {
    const index = IndexIVFPQ.fromParts(parts);
    expect(index.saCodeSize).toBe(1 + M);
    const sa = index.encode(db, 1000);
    const faissSa = fx.u8('sa_codes');
    let diff = 0;
    for (let i = 0; i < sa.length; i++) if (sa[i] !== faissSa[i]) diff++;
    expect(diff).toBe(0);
    const rec = index.reconstruct(q, nq);
    expect(maxRelDiff(rec, fx.f32('q_rec'))).toBeLessThan(1e-5);
    // Activation target = C_list + PQdecode(code).
    expect(index.activationTarget(q, nq)).toEqual(rec);
    index.add(db, 1000, fx.ids('ids'));
    expect(index.ntotal).toBe(1000);
    for (const nprobe of [1, 4]) {
      const res = index.search(q, nq, k, { nprobe });
      const D = fx.f32(`D${nprobe}`);
      const I = fx.ids(`I${nprobe}`);
      expect(sameNeighbours(res, D, I, nq, k)).toBe(0);
      expect(maxRelDiff(res.distances, D)).toBeLessThan(1e-4);
    }
  });

  it('fromParts with inverted lists reproduces the same search', () => {
    const built = IndexIVFPQ.fromParts(parts);
    built.add(db, 1000, fx.ids('ids'));
    const lists = built.invlists.lists.map((l) => ({ codes: l.codes.slice(), ids: l.ids.slice() }));
    const loaded = IndexIVFPQ.fromParts({ ...parts, lists, nprobe: 4 });
    expect(loaded.search(q, nq, k)).toEqual(built.search(q, nq, k, { nprobe: 4 }));
  });

  it('removes ids from the lists', () => {
    const index = IndexIVFPQ.fromParts(parts);
    index.add(db, 1000, fx.ids('ids'));
    const before = index.search(q, 1, 3, { nprobe: 4 });
    expect(index.remove([before.ids[0], -5])).toBe(1);
    const after = index.search(q, 1, 3, { nprobe: 4 });
    expect(after.ids[0]).toBe(before.ids[1]);
    expect(index.ntotal).toBe(999);
  });

  it('trains (coarse k-means + residual PQ) to within 2% of faiss quantisation error', () => {
    const index = new IndexIVFPQ(d, nlist, M);
    const warnings: string[] = [];
    index.train(x, 3000, { onWarning: (w) => warnings.push(w), pqNiter: fx.meta.pq_niter });
    expect(warnings.length).toBeGreaterThan(0);
    const ours = meanSqErr(index.reconstruct(x, 3000), x, 3000, d);
    const oursDb = meanSqErr(index.reconstruct(db, 1000), db, 1000, d);
    console.info(
      `IVFPQ MSE ours/faiss: train ${(ours / fx.meta.faiss_mse_train).toFixed(4)}, held-out ${(oursDb / fx.meta.faiss_mse_db).toFixed(4)}`,
    );
    expect(ours / fx.meta.faiss_mse_train).toBeLessThan(1.02);
    expect(oursDb / fx.meta.faiss_mse_db).toBeLessThan(1.02);
  });
});
