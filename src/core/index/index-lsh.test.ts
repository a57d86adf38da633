import { describe, expect, it } from 'vitest';
import { matmul } from '../linalg.ts';
import { loadFixture, maxRelDiff } from './__fixtures__/load.ts';
import { IndexLSH } from './index-lsh.ts';
import { IndexPreTransform } from './index-pretransform.ts';
import { PCAMatrix } from './pca-matrix.ts';

describe('PCAMatrix (faiss PCAMatrix)', () => {
  const fx = loadFixture('lsh');
  const d = fx.meta.d as number;
  const x = fx.x('x');
  const q = fx.f32('q');
  const n = x.length / d;
  const nq = q.length / d;

  /** Max difference between rows of A and B after flipping each row of A to B's sign. */
  function rowsUpToSign(A: Float32Array, B: Float32Array, rows: number): number {
    let m = 0;
    for (let r = 0; r < rows; r++) {
      let dot = 0;
      for (let j = 0; j < d; j++) dot += A[r * d + j] * B[r * d + j];
      const s = dot < 0 ? -1 : 1;
      for (let j = 0; j < d; j++)
        m = Math.max(m, Math.abs(s * A[r * d + j] - B[r * d + j]) / Math.max(1, Math.abs(B[r * d + j])));
    }
    return m;
  }

  it('trains like faiss: same (unnormalised) eigenvalues, same components up to sign, b = -A mean', () => {
    const pca = new PCAMatrix(d, 16);
    pca.train(x, n);
    expect(maxRelDiff(pca.mean, fx.f32('pca_mean'))).toBeLessThan(1e-6);
    const eig = fx.f32('pca_eig');
    for (let i = 0; i < 16; i++) expect(Math.abs(pca.eigenvalues[i] / eig[i] - 1)).toBeLessThan(1e-4);
    expect(rowsUpToSign(pca.A, fx.f32('pca_A'), 16)).toBeLessThan(1e-3);
    expect(pca.isOrthonormal).toBe(true);
    const w = new PCAMatrix(d, 16, -0.5);
    w.train(x, n);
    expect(rowsUpToSign(w.A, fx.f32('pcaw_A'), 16)).toBeLessThan(1e-3);
    expect(() => w.reverseTransform(new Float32Array(16), 1)).toThrow(/non-orthonormal/);
  });

  it('given faiss parts: apply and reverse_transform match', () => {
    const pca = PCAMatrix.fromParts({
      dIn: d,
      dOut: 16,
      mean: fx.f32('pca_mean'),
      A: fx.f32('pca_A'),
      b: fx.f32('pca_b'),
    });
    expect(maxRelDiff(pca.apply(q, nq), fx.f32('pca_y'))).toBeLessThan(1e-5);
    expect(maxRelDiff(pca.reverseTransform(pca.apply(q, nq), nq), fx.f32('pca_back'))).toBeLessThan(1e-5);
    const noB = PCAMatrix.fromParts({ dIn: d, dOut: 16, mean: fx.f32('pca_mean'), A: fx.f32('pca_A') });
    expect(maxRelDiff(noB.b, fx.f32('pca_b'))).toBeLessThan(1e-5);
  });
});

describe('IndexLSH (faiss IndexLSH)', () => {
  const fx = loadFixture('lsh');
  const d = fx.meta.d as number;
  const k = fx.meta.k as number;
  const x = fx.x('x');
  const q = fx.f32('q');
  const nq = q.length / d;

  it('PCA16,LSH with faiss PCA: identical codes, Hamming search and sign reconstruction', () => {
    const pca = PCAMatrix.fromParts({
      dIn: d,
      dOut: 16,
      mean: fx.f32('pl_mean'),
      A: fx.f32('pl_A'),
      b: fx.f32('pl_b'),
    });
    const index = new IndexPreTransform([pca], new IndexLSH(16, 16));
    expect(index.saCodeSize).toBe(2);
    const codes = index.encode(x, 1000);
    expect(Buffer.from(codes).equals(Buffer.from(fx.u8('pl_codes')))).toBe(true);
    index.add(x, 1000);
    const res = index.search(q, nq, k);
    expect(Array.from(res.distances)).toEqual(Array.from(fx.f32('pl_D')));
    expect(Array.from(res.ids)).toEqual(Array.from(fx.ids('pl_I')));
    const rec = index.reconstruct(q, nq);
    expect(maxRelDiff(rec, fx.f32('pl_rec'))).toBeLessThan(1e-5);
    // method.md section 4: target = PCA^T (+-1 code) (+ the mean term of reverse_transform).
    expect(index.activationTarget(q, nq)).toEqual(rec);
  });

  it('LSH with rotation and trained thresholds: faiss thresholds, codes, search, decode', () => {
    const rotation = fx.f32('rt_A');
    const index = IndexLSH.fromParts({
      d,
      nbits: 24,
      rotateData: true,
      trainThresholds: true,
      rotation,
      thresholds: new Float32Array(24),
    });
    index.train(x, x.length / d);
    expect(maxRelDiff(index.thresholds, fx.f32('rt_thr'))).toBeLessThan(1e-6);
    const codes = index.encode(x, 1000);
    expect(Buffer.from(codes).equals(Buffer.from(fx.u8('rt_codes')))).toBe(true);
    index.add(x, 1000);
    const res = index.search(q, nq, k);
    expect(Array.from(res.distances)).toEqual(Array.from(fx.f32('rt_D')));
    expect(Array.from(res.ids)).toEqual(Array.from(fx.ids('rt_I')));
    expect(maxRelDiff(index.reconstruct(q, nq), fx.f32('rt_rec'))).toBeLessThan(1e-5);
  });

  it('own random rotation is orthonormal and deterministic; bits follow x >= 0', () => {
    const a = new IndexLSH(d, 16, true);
    const b = new IndexLSH(d, 16, true);
    expect(a.rotation?.A).toEqual(b.rotation?.A);
    const A = Float64Array.from(a.rotation?.A ?? []);
    const g = matmul(A, A, 16, d, 16, { transB: true });
    for (let i = 0; i < 16; i++) for (let j = 0; j < 16; j++) expect(g[i * 16 + j]).toBeCloseTo(i === j ? 1 : 0, 5);
    const plain = new IndexLSH(4, 4);
    expect(Array.from(plain.encode(Float32Array.from([0, -1, 1, 0]), 1))).toEqual([13]);
    expect(Array.from(plain.decode(Uint8Array.from([13]), 1))).toEqual([1, -1, 1, 1]);
  });
});
