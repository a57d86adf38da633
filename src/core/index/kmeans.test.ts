import { describe, expect, it } from 'vitest';
import { loadFixture } from './__fixtures__/load.ts';
import { assignNearest } from './distances.ts';
import { kmeans } from './kmeans.ts';

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < b.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('kmeans (faiss::Clustering semantics)', () => {
  const fx = loadFixture('kmeans');

  it('picks the same initial centroids as faiss, with and without subsampling', () => {
    const x = fx.x('init_x');
    const plain = kmeans(x, 3000, 8, 16, { niter: 0 });
    expect(plain.warnings).toEqual([]);
    expect(Array.from(plain.centroids)).toEqual(Array.from(fx.f32('init_plain')));
    const warnings: string[] = [];
    const sub = kmeans(x, 3000, 8, 16, { niter: 0, maxPointsPerCentroid: 64, onWarning: (w) => warnings.push(w) });
    expect(warnings[0]).toMatch(/sampling 1024 points/);
    expect(sub.nUsed).toBe(1024);
    expect(Array.from(sub.centroids)).toEqual(Array.from(fx.f32('init_sub')));
  });

  it('splits empty clusters exactly like faiss::split_clusters', () => {
    const x = fx.f32('split_x');
    const res = kmeans(x, 300, 4, 30, { niter: 4 });
    expect(res.splits).toEqual(fx.meta.split_nsplit);
    expect(res.splits[0]).toBeGreaterThan(0);
    expect(maxAbsDiff(res.centroids, fx.f32('split_centroids'))).toBeLessThan(1e-5);
    res.objective.forEach((o, i) => {
      expect(o).toBeCloseTo(fx.meta.split_obj[i], 3);
    });
  });

  it('reaches faiss quantisation error on 5000 x 64 (k = 32, 25 iterations)', () => {
    const x = fx.x('q_x');
    const res = kmeans(x, 5000, 64, 32, { niter: 25 });
    const faissObj: number[] = fx.meta.q_faiss_obj;
    // Same init and same updates: the objective trajectory follows faiss's closely.
    for (let i = 0; i < 25; i++) expect(Math.abs(res.objective[i] / faissObj[i] - 1)).toBeLessThan(0.02);
    // Final MSE against the returned centroids.
    const dist = new Float64Array(5000);
    assignNearest(x, 5000, res.centroids, 32, 64, new Int32Array(5000), dist);
    const sse = dist.reduce((a, b) => a + b, 0);
    const rel = sse / 5000 / fx.meta.q_faiss_mse;
    console.info(`kmeans MSE ours/faiss = ${rel.toFixed(5)}`);
    expect(Math.abs(rel - 1)).toBeLessThan(0.02);
  });

  it('checks arguments and the abort signal', () => {
    const x = new Float32Array(10 * 2);
    expect(() => kmeans(x, 10, 2, 11)).toThrow(/at least as large/);
    expect(Array.from(kmeans(x, 10, 2, 10).centroids)).toEqual(Array.from(x));
    const ac = new AbortController();
    ac.abort();
    expect(() => kmeans(fx.x('init_x'), 3000, 8, 16, { signal: ac.signal })).toThrow(/cancelled/);
  });
});
