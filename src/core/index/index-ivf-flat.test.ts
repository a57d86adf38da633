import { describe, expect, it } from 'vitest';
import { loadFixture, maxRelDiff } from './__fixtures__/load.ts';
import { IndexIVFFlat } from './index-ivf-flat.ts';
import { MISSING_DISTANCE } from './types.ts';

describe('IndexIVFFlat (faiss IVF<nlist>,Flat)', () => {
  const fx = loadFixture('ivfflat');
  const { d, nlist, k } = fx.meta as { d: number; nlist: number; k: number };
  const x = fx.f32('x');
  const q = fx.f32('q');

  it('matches faiss, including -1 padding when the probed lists hold fewer than k vectors', () => {
    const index = IndexIVFFlat.fromParts({ d, nlist, centroids: fx.f32('centroids') });
    index.add(x, 20);
    for (const nprobe of [1, 3]) {
      const res = index.search(q, 10, k, { nprobe });
      const I = fx.ids(`I${nprobe}`);
      const D = fx.f32(`D${nprobe}`);
      expect(Array.from(res.ids)).toEqual(Array.from(I));
      expect(I.includes(-1)).toBe(true);
      for (let i = 0; i < res.ids.length; i++) {
        if (I[i] === -1) expect(res.distances[i]).toBe(Math.fround(MISSING_DISTANCE));
        else expect(Math.abs(res.distances[i] - D[i])).toBeLessThan(1e-4 * Math.max(1, D[i]));
      }
      for (let i = 0; i < 10; i++) {
        for (let j = 1; j < k; j++)
          expect(res.distances[i * k + j]).toBeGreaterThanOrEqual(res.distances[i * k + j - 1]);
      }
    }
  });

  it('standalone codes = list number + float32 bytes; activation target = the centroid', () => {
    const index = IndexIVFFlat.fromParts({ d, nlist, centroids: fx.f32('centroids') });
    const sa = index.encode(x, 3);
    expect(Buffer.from(sa).equals(Buffer.from(fx.u8('sa_codes')))).toBe(true);
    expect(index.decode(sa, 3)).toEqual(x.slice(0, 3 * d));
    const lists = index.assignLists(x, 3);
    // The paper's target (pull 1) is the list's centroid; the default goes halfway from x to it.
    index.targetPull = 1;
    const t = index.activationTarget(x, 3);
    const c0 = fx.f32('centroids').subarray(lists[0] * d, (lists[0] + 1) * d);
    expect(maxRelDiff(t.subarray(0, d), c0)).toBe(0);
    index.targetPull = 0.5;
    const half = index.activationTarget(x, 3);
    for (const j of [0, 1, d - 1]) expect(half[j]).toBeCloseTo((x[j] + c0[j]) / 2, 6);
    expect(() => {
      index.targetPull = 0;
    }).toThrow(/\(0, 1\]/);
  });

  it('trains its coarse quantizer and needs training before add', () => {
    const index = new IndexIVFFlat(d, 4);
    expect(() => index.add(x, 1)).toThrow(/trained/);
    index.train(x, 20);
    index.add(x, 20);
    const res = index.search(x, 1, 1, { nprobe: 4 });
    expect(res.ids[0]).toBe(0);
    expect(res.distances[0]).toBe(0);
  });
});
