import { describe, expect, it } from 'vitest';
import { assignNearest } from './distances.ts';
import { kmeans } from './kmeans.ts';
import { BoundedLloyd } from './kmeans-bounded.ts';
import { Mt19937 } from './rng.ts';

/** Gaussian blobs (n x d), deterministic. */
function blobs(n: number, d: number, nb: number, seed: number): Float32Array {
  const rng = new Mt19937(seed);
  const g = () => Math.sqrt(-2 * Math.log(1 - rng.randFloat() * 0.999999)) * Math.cos(2 * Math.PI * rng.randFloat());
  const centers = Float64Array.from({ length: nb * d }, () => 3 * g());
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) x[i * d + j] = centers[(i % nb) * d + j] + g();
  return x;
}

describe('BoundedLloyd (Hamerly-pruned Lloyd iterations)', () => {
  const n = 3000;
  const d = 8;
  const k = 64;

  const x = blobs(n, d, 20, 7);

  it.each([true, false])('gives the centroids of kmeans() bit for bit (float32 screening: %s)', (screen) => {
    const ref = kmeans(x, n, d, k, { niter: 12, maxPointsPerCentroid: 1000 });
    const init = new Float32Array(k * d);
    const ref0 = kmeans(x, n, d, k, { niter: 0, maxPointsPerCentroid: 1000 });
    init.set(ref0.centroids);
    const b = new BoundedLloyd(n, d, k, { screen });
    b.setCentroids(init);
    const searched: number[] = [];
    let splits = 0;
    for (let it = 0; it < 12; it++) {
      b.assignAll(x);
      searched.push(b.lastSearched);
      splits += b.update(x);
    }
    expect(splits).toBe(ref.splits.reduce((s, v) => s + v, 0));
    expect(Buffer.from(b.centroids.buffer).equals(Buffer.from(ref.centroids.buffer))).toBe(true);
    expect(searched[0]).toBe(n);
    expect(searched[11]).toBeLessThan(n / 2);
  });

  it('hot start on moved data (shiftData) assigns exactly like assignNearest', () => {
    const b = new BoundedLloyd(n, d, k);
    b.setCentroids(kmeans(x, n, d, k, { niter: 0 }).centroids);
    for (let it = 0; it < 5; it++) {
      b.assignAll(x);
      b.update(x);
    }
    // Move every point a little (a small rotation-like perturbation) and tell the bounds how far.
    const rng = new Mt19937(3);
    const y = x.slice();
    const shift = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) {
        const t = Math.fround(y[i * d + j] + 0.05 * (rng.randFloat() - 0.5));
        s += (t - y[i * d + j]) ** 2;
        y[i * d + j] = t;
      }
      shift[i] = Math.sqrt(s);
    }
    b.shiftData(shift);
    b.assignAll(y);
    expect(b.lastSearched).toBeLessThan(0.9 * n);
    const labels = new Int32Array(n);
    assignNearest(y, n, b.centroids, k, d, labels, new Float64Array(n));
    expect(b.assign).toEqual(labels);
  });
});
