/**
 * faiss::OPQMatrix (d_out <= d_in): a rotation A (d_out x d_in, orthonormal rows, no bias) learnt so that the
 * rotated vectors are well quantised by a PQ with M sub-quantizers (Ge et al., non-parametric OPQ).
 *
 * Layout: A d_out x d_in row-major float32, y = A x (faiss LinearTransform, have_bias = false).
 * Training (faiss 1.7.3 OPQMatrix::train):
 *   subsample to maxTrainPoints = 65536 (rand_perm, seed 1234); center the training vectors (the centering is
 *   training-only); A0 = random rotation (ours: MT19937(1234) Gaussian + Gram-Schmidt; faiss: float_randn(1234)
 *   + QR, so the starting point differs); then niter (50) times:
 *     xproj = X A^T;  train PQ(d_out, M, 8) on xproj (k-means niter = niterPq0 (40) the first time, then
 *     niterPq (4) hot-started from the previous codebook; max 1000 points per centroid);
 *     Y = PQ reconstruction of xproj;  A = U V^T from svd(Y^T X) (orthogonal Procrustes, linalg.svd).
 * The PQ trained here is discarded (faiss too): the index after the OPQ trains its own on A x.
 * Speed (7,500 x 512, M = 8: about a minute instead of over 10): xproj in the float32 GEMM kernel
 * (gemm-f32.ts, float32 sums as faiss's sgemm); the PQ's k-means by bounded Lloyd (kmeans-bounded.ts: the same
 * centroids and codes as kmeans() / computeCodes, skipping points whose assignment provably cannot change, the
 * bounds carried across OPQ iterations by how far each rotated sub-vector moved); Y^T X from per-code sums of X
 * (C_m^T S_m, M ksub x d instead of n x d); the SVD's row updates in f64 SIMD kernels (f64-kernels.ts).
 * If A was already set (fromRotation / setAb) training starts from it instead of a random rotation, as faiss
 * does when OPQMatrix::A is pre-filled.
 * Note: OPQ converges to different local minima depending on the initial rotation; on the 2000 x 16 fixture
 * at the default 50 iterations, faiss reaches MSE 3.68, ours 3.98 with seed 1234 and 3.48 - 3.55 with other
 * starts (identity, seeds 1, 2). Continuing from faiss's rotation, our iterations lower the error as fast as
 * faiss's (opq-matrix.test.ts).
 */
import { FindableError, throwIfAborted } from '../errors.ts';
import { matmul, svd } from '../linalg.ts';
import { DotKernel } from './dot-kernel.ts';
import { F64Kernels } from './f64-kernels.ts';
import { GemmF32 } from './gemm-f32.ts';
import { addRow, subsampleRows } from './kmeans.ts';
import { BoundedLloyd } from './kmeans-bounded.ts';
import { LinearTransform } from './linear-transform.ts';
import { ProductQuantizer } from './product-quantizer.ts';
import { randomOrthonormalRows } from './random-rotation.ts';
import { randPerm } from './rng.ts';
import type { TrainOptions, Vectors } from './types.ts';
import { asF32, assertPositiveInt } from './util.ts';

/** faiss OPQMatrix::train sets pq.cp.max_points_per_centroid = 1000 for its inner PQ. */
const PQ_MAX_POINTS_PER_CENTROID = 1000;

export class OPQMatrix extends LinearTransform {
  readonly M: number;
  niter = 50;
  niterPq = 4;
  niterPq0 = 40;
  maxTrainPoints = 256 * 256;
  /** Train the inner PQ with bounded Lloyd (kmeans-bounded.ts, same result); false: plain ProductQuantizer. */
  boundedKMeans = true;
  /** PQ reconstruction MSE (sum over dimensions, mean over vectors) after each iteration. */
  readonly errors: number[] = [];

  constructor(dIn: number, M: number, dOut = dIn) {
    super(dIn, dOut, false);
    assertPositiveInt('M', M);
    if (dOut > dIn) {
      throw new FindableError('INVALID_ARGUMENT', `OPQ: d_out (${dOut}) > d_in (${dIn}) is not supported`);
    }
    if (dOut % M !== 0) {
      throw new FindableError('INVALID_ARGUMENT', `OPQ: d_out (${dOut}) must be a multiple of M (${M})`);
    }
    this.M = M;
  }

  /** From faiss's trained rotation A (d_out x d_in). */
  static fromRotation(parts: { dIn: number; dOut: number; M: number; A: Float32Array }): OPQMatrix {
    const o = new OPQMatrix(parts.dIn, parts.M, parts.dOut);
    o.setAb(parts.A);
    return o;
  }

  /** Progress units: OPQ iterations. */
  override train(xIn: Vectors, n: number, opts: TrainOptions = {}): void {
    const { dIn: d, dOut: d2, M } = this;
    let x = asF32('x', xIn, n, d);
    if (n > this.maxTrainPoints) {
      x = subsampleRows(x, n, d, this.maxTrainPoints, 1234);
      n = this.maxTrainPoints;
    }
    // Centered training set, float32 like faiss's xtrain.
    const mean = new Float64Array(d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += x[i * d + j];
    for (let j = 0; j < d; j++) mean[j] /= n;
    const xt = new Float32Array(n * d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) xt[i * d + j] = x[i * d + j] - mean[j];

    let A: Float32Array = this.trained ? this.A.slice() : Float32Array.from(randomOrthonormalRows(d2, d, 1234));
    const dsub = d2 / M;
    const ksub = 256;
    // Bounded Lloyd gives kmeans()'s result (see kmeans-bounded.ts) in the range where kmeans() neither throws,
    // copies, nor subsamples (ksub < n <= 1000 ksub); outside it the plain ProductQuantizer trains.
    const bounded = this.boundedKMeans && n > ksub && n <= ksub * PQ_MAX_POINTS_PER_CENTROID;
    const lloyd = bounded ? Array.from({ length: M }, () => new BoundedLloyd(n, dsub, ksub)) : [];
    const pq = bounded ? null : new ProductQuantizer(d2, M, 8);
    const gemm = GemmF32.supports(d2, d) ? new GemmF32() : null;
    const kernel = new DotKernel();
    const xproj = new Float32Array(n * d2);
    const prev = new Float32Array(bounded ? n * d2 : 0);
    const slice = new Float32Array(bounded ? n * dsub : 0);
    const shift = new Float64Array(bounded ? n : 0);
    let codes: Uint8Array = new Uint8Array(n * M);
    let centroids: Float32Array = new Float32Array(M * ksub * dsub);
    // Y^T X and the per-code sums live in the f64 kernels' heap (their products run there).
    const heap = new F64Kernels(ksub * d + d2 * d);
    const sums = heap.alloc(ksub * d);
    const yx = heap.alloc(d2 * d);
    this.errors.length = 0;
    for (let it = 0; it < this.niter; it++) {
      throwIfAborted(opts.signal);
      // xproj = X A^T: float32 sums like faiss's sgemm (gemm-f32.ts), or float64 dot-kernel sums rounded to
      // float32 where the dimensions are not multiples of 4.
      if (gemm !== null) gemm.setY(A, d2, d);
      else kernel.setY(A, 0, d2, d);
      for (let i0 = 0; i0 < n; i0 += 64) {
        const nb = Math.min(n, i0 + 64) - i0;
        if (gemm !== null) gemm.run(xt, i0, nb, xproj, i0);
        else xproj.set(kernel.dots(xt, i0 * d, nb), i0 * d2);
      }
      const niterPq = it === 0 ? this.niterPq0 : this.niterPq;
      if (pq !== null) {
        pq.train(xproj, n, {
          niter: niterPq,
          maxPointsPerCentroid: PQ_MAX_POINTS_PER_CENTROID,
          hotStart: it > 0,
          signal: opts.signal,
          onWarning: it === 0 ? opts.onWarning : undefined,
        });
        codes = pq.computeCodes(xproj, n, codes);
        centroids = pq.centroids;
      } else {
        if (it === 0 && n < ksub * 39) {
          opts.onWarning?.(
            `WARNING clustering ${n} points to ${ksub} centroids: please provide at least ${ksub * 39} training points`,
          );
        }
        const perm = it === 0 ? randPerm(n, 1234 + 1) : null;
        for (let m = 0; m < M; m++) {
          throwIfAborted(opts.signal);
          const lm = lloyd[m];
          for (let i = 0; i < n; i++) slice.set(xproj.subarray(i * d2 + m * dsub, i * d2 + (m + 1) * dsub), i * dsub);
          if (perm !== null) {
            // kmeans()'s random start: rows perm[0..ksub) of the sub-vectors.
            for (let c = 0; c < ksub; c++)
              lm.centroids.set(slice.subarray(perm[c] * dsub, perm[c] * dsub + dsub), c * dsub);
            lm.setCentroids(lm.centroids);
          } else {
            // Hot start on re-rotated data: the bounds loosen by how far each sub-vector moved.
            for (let i = 0; i < n; i++) {
              let s = 0;
              const o = i * d2 + m * dsub;
              for (let j = 0; j < dsub; j++) {
                const t = xproj[o + j] - prev[o + j];
                s += t * t;
              }
              shift[i] = Math.sqrt(s) * (1 + 1e-12);
            }
            lm.shiftData(shift);
          }
          for (let t = 0; t < niterPq; t++) {
            lm.assignAll(slice, opts.signal, t > 0);
            lm.update(slice);
          }
          // Codes of the trained quantizer (ProductQuantizer.computeCodes: same nearest-centroid rule).
          lm.assignAll(slice, opts.signal, niterPq > 0);
          for (let i = 0; i < n; i++) codes[i * M + m] = lm.assign[i];
          centroids.set(lm.centroids, m * ksub * dsub);
        }
        prev.set(xproj);
      }
      // PQ reconstruction error, and Y^T X (d2 x d) from per-code sums of X: row block m of Y^T X is
      // C_m^T S_m with S_m[c] = sum of the x_i whose m-th code is c (ksub x d instead of n x d).
      let err = 0;
      for (let m = 0; m < M; m++) {
        sums.fill(0);
        for (let i = 0; i < n; i++) {
          const c = codes[i * M + m];
          const co = (m * ksub + c) * dsub;
          const xo = i * d2 + m * dsub;
          for (let j = 0; j < dsub; j++) {
            const t = centroids[co + j] - xproj[xo + j];
            err += t * t;
          }
        }
        codeSums(xt, n, d, codes, M, m, sums);
        for (let a = 0; a < dsub; a++) {
          const yo = (m * dsub + a) * d;
          yx.fill(0, yo, yo + d);
          for (let c = 0; c < ksub; c++) {
            const w = centroids[(m * ksub + c) * dsub + a];
            if (w !== 0) heap.axpy(w, sums, c * d, yx, yo, d);
          }
        }
      }
      this.errors.push(err / n);
      // Procrustes: A = U V^T with Y^T X = U S V^T (d2 x d).
      const { u, vt } = svd(yx, d2, d);
      A = Float32Array.from(matmul(u, vt, d2, d2, d));
      opts.onProgress?.(it + 1, this.niter);
    }
    this.setAb(A);
  }
}

/** sums[c] = sum of the rows x_i (n x d) whose m-th code (codes n x M) is c; sums zeroed by the caller. */
function codeSums(x: Float32Array, n: number, d: number, codes: Uint8Array, M: number, m: number, sums: Float64Array) {
  for (let i = 0; i < n; i++) addRow(sums, codes[i * M + m] * d, x, i * d, d);
}
