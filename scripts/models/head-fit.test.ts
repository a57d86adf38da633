import { describe, expect, it } from 'vitest';
import { covariance, symEig } from '../../src/core/linalg.ts';
import { applyHead, fitPca, headFromPca, scaleRowsL2, whitenScales } from './head-fit.ts';

/** Deterministic pseudo-random data with a decaying spectrum. */
function data(n: number, d: number, seed = 1): Float32Array {
  let s = seed;
  const rnd = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648 - 0.5;
  };
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) x[i * d + j] = rnd() * 3 ** -j + 0.5;
  return x;
}

describe('fitPca', () => {
  it('Gram path (n < d) gives the covariance path eigenpairs', () => {
    const n = 7;
    const d = 12;
    const x = data(n, d);
    const fit = fitPca(x, n, d, false);
    const { cov } = covariance(x, n, d);
    const ref = symEig(cov, d);
    for (let k = 0; k < 4; k++) {
      expect(fit.values[k]).toBeCloseTo(ref.values[k], 10);
      let dot = 0;
      for (let j = 0; j < d; j++) dot += fit.vectors[k * d + j] * ref.vectors[k * d + j];
      expect(dot).toBeCloseTo(1, 8); // same sign rule: largest-|.| component positive
    }
  });

  it('full whitening gives unit variance on the fit set; scaled projections equal the whitened head', () => {
    const n = 40;
    const d = 8;
    const m = 5;
    const x = data(n, d, 7);
    const fit = fitPca(x, n, d, true, m);
    const white = headFromPca(fit, 1, m);
    const z = applyHead(white, x, n, false);
    for (let k = 0; k < m; k++) {
      let mean = 0;
      let v = 0;
      for (let i = 0; i < n; i++) mean += z[i * m + k] / n;
      for (let i = 0; i < n; i++) v += (z[i * m + k] - mean) ** 2 / n;
      expect(Math.abs(mean)).toBeLessThan(1e-5);
      expect(v).toBeCloseTo(1, 4);
    }
    const plain = applyHead(headFromPca(fit, 0, m), x, n, false);
    const a = scaleRowsL2(plain, n, m, whitenScales(fit, 1, m));
    const b = applyHead(white, x, n);
    for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i], 5);
  });
});
