import { describe, expect, it } from 'vitest';
import { loadFixture, maxRelDiff } from './__fixtures__/load.ts';
import { IndexFlat } from './index-flat.ts';
import { MISSING_DISTANCE } from './types.ts';

describe('IndexFlat (faiss IndexFlatL2)', () => {
  const fx = loadFixture('flat');
  const x = fx.x('x');
  const q = fx.x('q');

  it('returns faiss ids and squared distances', () => {
    const index = new IndexFlat(16);
    index.add(x, 600);
    const res = index.search(q, 30, 7);
    expect(Array.from(res.ids)).toEqual(Array.from(fx.ids('I')));
    expect(maxRelDiff(res.distances, fx.f32('D'))).toBeLessThan(1e-5);
  });

  it('is exact: distances equal direct float64 sums and are sorted', () => {
    const index = IndexFlat.fromParts({ d: 16, vectors: x.slice(0, 50 * 16) });
    const res = index.search(q, 1, 50);
    for (let r = 0; r < 50; r++) {
      const id = res.ids[r];
      let s = 0;
      for (let j = 0; j < 16; j++) s += (q[j] - x[id * 16 + j]) ** 2;
      expect(res.distances[r]).toBe(Math.fround(s));
      if (r > 0) expect(res.distances[r]).toBeGreaterThanOrEqual(res.distances[r - 1]);
    }
  });

  it('pads with -1 when fewer than k vectors, keeps ids on remove', () => {
    const index = new IndexFlat(16);
    index.add(x.subarray(0, 3 * 16), 3, [10, 20, 30]);
    expect(index.remove([20, 99])).toBe(1);
    const res = index.search(x.subarray(0, 16), 1, 4);
    expect(Array.from(res.ids)).toEqual([10, 30, -1, -1]);
    expect(res.distances[0]).toBe(0);
    expect(res.distances[3]).toBe(Math.fround(MISSING_DISTANCE));
    expect(index.activationTarget(x, 2)).toEqual(x.slice(0, 32));
  });

  it('rejects bad shapes', () => {
    const index = new IndexFlat(16);
    expect(() => index.add(new Float32Array(15), 1)).toThrow(/expected 1 x 16/);
    expect(() => index.search(new Float32Array(16), 1, 0)).toThrow(/positive integer/);
  });
});
