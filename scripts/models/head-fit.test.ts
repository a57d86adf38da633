import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { covariance, symEig } from '../../src/core/linalg.ts';
import { applyHead, fitLearnedWhitening, fitPca, headFromPca, scaleRowsL2, whitenScales } from './head-fit.ts';

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

describe('fitLearnedWhitening', () => {
  const fx = JSON.parse(readFileSync(new URL('./__fixtures__/learned-whitening.json', import.meta.url), 'utf8')) as {
    n: number;
    pairs: number;
    d: number;
    outDim: number;
    reg: number;
    preL2: boolean;
    x: number[];
    a: number[];
    b: number[];
    proj: number[];
    bias: number[];
    snr: number[];
  };
  const fit = fitLearnedWhitening({
    x: Float32Array.from(fx.x),
    n: fx.n,
    a: Float32Array.from(fx.a),
    b: Float32Array.from(fx.b),
    pairs: fx.pairs,
    d: fx.d,
    preL2: fx.preL2,
    reg: fx.reg,
    outDim: fx.outDim,
  });

  it('matches numpy (scripts/oracles/learned_whitening.py) up to the sign of each component', () => {
    const { d, outDim } = fx;
    for (let k = 0; k < outDim; k++) {
      expect(fit.snr[k]).toBeCloseTo(fx.snr[k], 6);
      let dot = 0;
      for (let i = 0; i < d; i++) dot += fit.head.proj[i * outDim + k] * fx.proj[i * outDim + k];
      const sign = Math.sign(dot);
      for (let i = 0; i < d; i++) {
        expect(fit.head.proj[i * outDim + k]).toBeCloseTo(sign * fx.proj[i * outDim + k], 3);
      }
      expect(fit.head.bias[k]).toBeCloseTo(sign * fx.bias[k], 3);
    }
  });

  it('shrinks what edits change: pair differences have (near) unit variance, images spread by the SNR', () => {
    const { outDim, pairs, n } = fx;
    const pa = applyHead(fit.head, Float32Array.from(fx.a), pairs, false);
    const pb = applyHead(fit.head, Float32Array.from(fx.b), pairs, false);
    const px = applyHead(fit.head, Float32Array.from(fx.x), n, false);
    for (let k = 0; k < outDim; k++) {
      let noise = 0;
      for (let i = 0; i < pairs; i++) noise += (pa[i * outDim + k] - pb[i * outDim + k]) ** 2 / pairs;
      // The ridge only lowers the noise variance below 1.
      expect(noise).toBeLessThanOrEqual(1 + 1e-6);
      expect(noise).toBeGreaterThan(0.2);
      let signal = 0;
      for (let i = 0; i < n; i++) signal += px[i * outDim + k] ** 2 / n;
      expect(signal).toBeCloseTo(fit.snr[k], 4);
    }
    for (let k = 1; k < outDim; k++) expect(fit.snr[k]).toBeLessThanOrEqual(fit.snr[k - 1]);
  });
});
