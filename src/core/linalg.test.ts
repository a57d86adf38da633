import { describe, expect, it } from 'vitest';
import fixtures from './index/__fixtures__/linalg.json';
import large from './index/__fixtures__/svd-large.json';
import { setWasmKernelsEnabled } from './index/wasm-asm.ts';
import { covariance, matmul, orthonormalizeRows, svd, symEig, transpose } from './linalg.ts';

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < b.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
const f64 = (a: number[]) => Float64Array.from(a);

describe('matmul', () => {
  it('matches numpy for all transpose combinations', () => {
    for (const c of fixtures.matmul) {
      const a = f64(c.a);
      const b = f64(c.b);
      expect(maxAbsDiff(matmul(a, b, c.m, c.k, c.n), c.c)).toBeLessThan(1e-12);
      const at = transpose(a, c.m, c.k);
      const bt = transpose(b, c.k, c.n);
      expect(maxAbsDiff(matmul(at, b, c.m, c.k, c.n, { transA: true }), c.c)).toBeLessThan(1e-12);
      expect(maxAbsDiff(matmul(a, bt, c.m, c.k, c.n, { transB: true }), c.c)).toBeLessThan(1e-12);
      expect(maxAbsDiff(matmul(at, bt, c.m, c.k, c.n, { transA: true, transB: true }), c.c)).toBeLessThan(1e-12);
      const out32 = new Float32Array(c.m * c.n);
      matmul(Float32Array.from(c.a), Float32Array.from(c.b), c.m, c.k, c.n, { out: out32 });
      expect(maxAbsDiff(out32, c.c)).toBeLessThan(1e-4);
    }
  });
  it('rejects short buffers', () => {
    expect(() => matmul(new Float64Array(3), new Float64Array(4), 2, 2, 2)).toThrow(/expected at least/);
  });
});

describe('symEig', () => {
  it('matches numpy.linalg.eigh (descending, sign convention)', () => {
    for (const c of fixtures.eig) {
      const { values, vectors } = symEig(f64(c.a), c.n);
      const scale = Math.max(1, ...c.values.map(Math.abs));
      expect(maxAbsDiff(values, c.values) / scale).toBeLessThan(1e-12);
      for (let i = 1; i < c.n; i++) expect(values[i]).toBeLessThanOrEqual(values[i - 1]);
      if (c.unique) expect(maxAbsDiff(vectors, c.vectors)).toBeLessThan(1e-9);
      // Reconstruction V^T diag(w) V = A and orthonormality, always.
      const n = c.n;
      const vw = new Float64Array(n * n);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) vw[i * n + j] = vectors[i * n + j] * values[i];
      expect(maxAbsDiff(matmul(vectors, vw, n, n, n, { transA: true }), c.a) / scale).toBeLessThan(1e-12);
      const vvt = matmul(vectors, vectors, n, n, n, { transB: true });
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) expect(vvt[i * n + j]).toBeCloseTo(i === j ? 1 : 0, 12);
    }
  });
  it('is deterministic and handles float32 input', () => {
    const c = fixtures.eig[4];
    const r1 = symEig(Float32Array.from(c.a), c.n);
    const r2 = symEig(Float32Array.from(c.a), c.n);
    expect(r1.vectors).toEqual(r2.vectors);
    expect(maxAbsDiff(r1.values, c.values) / Math.abs(c.values[0])).toBeLessThan(1e-6);
  });
  it('rejects non-finite input', () => {
    expect(() => symEig(f64([1, Number.NaN, Number.NaN, 1]), 2)).toThrow(/non-finite/);
  });
});

describe('svd', () => {
  it('matches numpy.linalg.svd(full_matrices=False)', () => {
    for (const c of fixtures.svd) {
      const { u, s, vt } = svd(f64(c.a), c.m, c.n);
      const r = Math.min(c.m, c.n);
      expect(u.length).toBe(c.m * r);
      expect(vt.length).toBe(r * c.n);
      expect(maxAbsDiff(s, c.s)).toBeLessThan(1e-12);
      if (c.unique) {
        expect(maxAbsDiff(u, c.u)).toBeLessThan(1e-9);
        expect(maxAbsDiff(vt, c.vt)).toBeLessThan(1e-9);
      }
      const us = new Float64Array(c.m * r);
      for (let i = 0; i < c.m; i++) for (let k = 0; k < r; k++) us[i * r + k] = u[i * r + k] * s[k];
      expect(maxAbsDiff(matmul(us, vt, c.m, r, c.n), c.a)).toBeLessThan(1e-12);
    }
  });
  it('gives an orthogonal Procrustes factor', () => {
    const c = fixtures.svd[4]; // 8 x 8
    const { u, vt } = svd(f64(c.a), 8, 8);
    const q = matmul(u, vt, 8, 8, 8);
    const qqt = matmul(q, q, 8, 8, 8, { transB: true });
    for (let i = 0; i < 8; i++) for (let j = 0; j < 8; j++) expect(qqt[i * 8 + j]).toBeCloseTo(i === j ? 1 : 0, 12);
  });
});

describe('svd in the f64 kernels (n >= 32)', () => {
  /** The oracle's matrix (scripts/oracles/svd_kernel_golden.py). */
  const matrix = (m: number, n: number) => {
    const a = new Float64Array(m * n);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        a[i * n + j] = Math.sin(1.3 * i + 0.7 * j + 0.01 * i * j) + 0.5 * Math.cos(0.37 * i * i - 0.11 * j);
        if (i === j) a[i * n + j] += 0.25;
      }
    }
    return a;
  };
  for (const c of large.cases) {
    it(`${c.m} x ${c.n}: numpy's singular values${c.polar_w ? ' and polar factor' : ''}, same bits without wasm`, () => {
      const a = matrix(c.m, c.n);
      const { u, s, vt } = svd(a, c.m, c.n);
      const r = Math.min(c.m, c.n);
      expect(maxAbsDiff(s, c.s)).toBeLessThan(1e-12 * c.s[0]);
      const us = new Float64Array(c.m * r);
      for (let i = 0; i < c.m; i++) for (let k = 0; k < r; k++) us[i * r + k] = u[i * r + k] * s[k];
      expect(maxAbsDiff(matmul(us, vt, c.m, r, c.n), a)).toBeLessThan(1e-12 * c.s[0]);
      if (c.polar_w) {
        const n = c.n;
        const w = new Float64Array(n * 2);
        for (let j = 0; j < n; j++) {
          w[j * 2] = Math.cos(0.5 * j);
          w[j * 2 + 1] = Math.sin(0.3 * j);
        }
        const pw = matmul(matmul(u, vt, n, n, n), w, n, n, 2);
        expect(maxAbsDiff(pw, c.polar_w)).toBeLessThan(1e-9);
      }
      setWasmKernelsEnabled(false);
      try {
        const js = svd(a, c.m, c.n);
        expect(js.s).toEqual(s);
        expect(js.u).toEqual(u);
        expect(js.vt).toEqual(vt);
      } finally {
        setWasmKernelsEnabled(true);
      }
    });
  }
});

describe('covariance and orthonormalizeRows', () => {
  it('matches numpy.cov', () => {
    for (const c of fixtures.cov) {
      const { mean, cov } = covariance(f64(c.x), c.n, c.d);
      expect(maxAbsDiff(mean, c.mean)).toBeLessThan(1e-12);
      expect(maxAbsDiff(cov, c.cov)).toBeLessThan(1e-10);
      expect(maxAbsDiff(covariance(f64(c.x), c.n, c.d, { normalize: 'n-1' }).cov, c.cov1)).toBeLessThan(1e-10);
      const raw = covariance(f64(c.x), c.n, c.d, { normalize: 'none' }).cov;
      expect(
        maxAbsDiff(
          raw,
          c.cov.map((v) => v * c.n),
        ),
      ).toBeLessThan(1e-9);
    }
  });
  it('orthonormalises rows', () => {
    const a = f64(fixtures.svd[5].a.slice(0, 5 * 13));
    orthonormalizeRows(a, 5, 13);
    const g = matmul(a, a, 5, 13, 5, { transB: true });
    for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) expect(g[i * 5 + j]).toBeCloseTo(i === j ? 1 : 0, 13);
    expect(() => orthonormalizeRows(f64([1, 2, 2, 4]), 2, 2)).toThrow(/dependent/);
  });
});
