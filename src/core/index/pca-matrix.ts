/**
 * faiss::PCAMatrix: y = A (x - mean), i.e. b = -A mean.
 *
 * Layouts (faiss VectorTransform.h): mean d_in; eigenvalues d_in (descending); PCAMat d_in x d_in row-major
 * (row i = eigenvector i); A d_out x d_in; b d_out.
 * Training (faiss 1.7.3): subsample to max_points_per_d * d_in = 1000 d_in rows (rand_perm, seed 1234);
 * mean; the UNNORMALISED scatter matrix sum_i (x_i - mean)(x_i - mean)^T (so eigenvalues are n times the
 * covariance's, which matters for eigenPower); eigen-decomposition (linalg.symEig, descending);
 * prepare_Ab: A = first d_out rows of PCAMat, each scaled by (eigenvalue + epsilon)^eigenPower when
 * eigenPower != 0; with randomRotation, A = R diag((eigenvalue)^eigenPower) PCAMat[:d_out] where R is a
 * d_out x d_out RandomRotationMatrix init(5).
 * Signs: our eigenvectors' largest component is positive; faiss keeps LAPACK's signs. A PCA trained by faiss
 * must therefore be loaded with fromParts to reproduce its codes.
 */
import { covariance, symEig } from '../linalg.ts';
import { subsampleRows } from './kmeans.ts';
import { LinearTransform } from './linear-transform.ts';
import { randomOrthonormalRows } from './random-rotation.ts';
import type { TrainOptions, Vectors } from './types.ts';
import { asF32, assertLength } from './util.ts';

export interface PcaParts {
  dIn: number;
  dOut: number;
  /** d_in. */
  mean: Float32Array;
  /** d_out x d_in. */
  A: Float32Array;
  /** d_out (faiss stores it; recomputed as -A mean if absent). */
  b?: Float32Array;
  /** d_in, descending (optional: only needed to re-run prepare_Ab). */
  eigenvalues?: Float32Array;
  /** d_in x d_in (optional). */
  PCAMat?: Float32Array;
  eigenPower?: number;
  randomRotation?: boolean;
  epsilon?: number;
}

export class PCAMatrix extends LinearTransform {
  readonly eigenPower: number;
  readonly randomRotation: boolean;
  /** Added to eigenvalues before the power (faiss PCAMatrix::epsilon, 0 by default). */
  epsilon = 0;
  /** faiss max_points_per_d. */
  maxPointsPerD = 1000;
  /** d_in. */
  readonly mean: Float32Array;
  /** d_in, descending. */
  readonly eigenvalues: Float32Array;
  /** d_in x d_in, row i = eigenvector i. */
  readonly PCAMat: Float32Array;

  constructor(dIn: number, dOut = dIn, eigenPower = 0, randomRotation = false) {
    super(dIn, dOut, true);
    this.eigenPower = eigenPower;
    this.randomRotation = randomRotation;
    this.mean = new Float32Array(dIn);
    this.eigenvalues = new Float32Array(dIn);
    this.PCAMat = new Float32Array(dIn * dIn);
  }

  static override fromParts(parts: PcaParts): PCAMatrix {
    const p = new PCAMatrix(parts.dIn, parts.dOut, parts.eigenPower ?? 0, parts.randomRotation ?? false);
    if (parts.epsilon !== undefined) p.epsilon = parts.epsilon;
    assertLength('PCA mean', parts.mean, parts.dIn);
    p.mean.set(parts.mean);
    if (parts.eigenvalues) p.eigenvalues.set(parts.eigenvalues);
    if (parts.PCAMat) p.PCAMat.set(parts.PCAMat);
    p.setAb(parts.A, parts.b ?? p.biasFor(parts.A));
    // faiss: is_orthonormal = (eigen_power == 0), whatever the numerical check says.
    p.isOrthonormal = p.eigenPower === 0;
    return p;
  }

  /** b = -A mean. */
  private biasFor(A: ArrayLike<number>): Float32Array {
    const { dIn, dOut } = this;
    const b = new Float32Array(dOut);
    for (let i = 0; i < dOut; i++) {
      let s = 0;
      for (let j = 0; j < dIn; j++) s -= this.mean[j] * A[i * dIn + j];
      b[i] = s;
    }
    return b;
  }

  override train(xIn: Vectors, n: number, _opts: TrainOptions = {}): void {
    const { dIn } = this;
    let x = asF32('x', xIn, n, dIn);
    const nmax = this.maxPointsPerD * dIn;
    if (n > nmax) {
      x = subsampleRows(x, n, dIn, nmax, 1234);
      n = nmax;
    }
    const { mean, cov } = covariance(x, n, dIn, { normalize: 'none' });
    const { values, vectors } = symEig(cov, dIn);
    this.mean.set(mean);
    this.eigenvalues.set(values);
    this.PCAMat.set(vectors);
    this.prepareAb();
  }

  /** faiss PCAMatrix::prepare_Ab (see header). */
  prepareAb(): void {
    const { dIn, dOut, eigenPower } = this;
    const A = new Float64Array(dOut * dIn);
    if (!this.randomRotation) {
      for (let i = 0; i < dOut; i++) {
        const f = eigenPower !== 0 ? (this.eigenvalues[i] + this.epsilon) ** eigenPower : 1;
        for (let j = 0; j < dIn; j++) A[i * dIn + j] = this.PCAMat[i * dIn + j] * f;
      }
    } else {
      const R = randomOrthonormalRows(dOut, dOut, 5);
      if (eigenPower !== 0) {
        for (let i = 0; i < dOut; i++) {
          const f = this.eigenvalues[i] ** eigenPower;
          for (let r = 0; r < dOut; r++) R[r * dOut + i] *= f;
        }
      }
      for (let r = 0; r < dOut; r++) {
        for (let i = 0; i < dOut; i++) {
          const v = R[r * dOut + i];
          for (let j = 0; j < dIn; j++) A[r * dIn + j] += v * this.PCAMat[i * dIn + j];
        }
      }
    }
    this.setAb(A, this.biasFor(Float32Array.from(A)));
    this.isOrthonormal = eigenPower === 0;
  }
}
