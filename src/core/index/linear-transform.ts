/**
 * faiss::LinearTransform: y = A x + b.
 *
 * Layout (faiss VectorTransform.h): A d_out x d_in row-major float32, b d_out float32 (all zeros when
 * haveBias is false). reverseTransform (faiss reverse_transform) is x = A^T (y - b) and is only defined when
 * the rows of A are orthonormal (faiss checks A A^T = I within 4e-5; so do we), otherwise it throws.
 * Subclasses (RandomRotationMatrix, PCAMatrix, OPQMatrix) only differ in how A and b are trained.
 */
import { FindableError } from '../errors.ts';
import type { TrainOptions, Vectors } from './types.ts';
import { asF32, assertLength, assertPositiveInt, notTrained } from './util.ts';

export interface LinearTransformParts {
  dIn: number;
  dOut: number;
  /** d_out x d_in row-major. */
  A: Float32Array;
  /** d_out; omit for no bias. */
  b?: Float32Array;
}

export class LinearTransform {
  readonly dIn: number;
  readonly dOut: number;
  /** d_out x d_in row-major; set by train() or fromParts. */
  readonly A: Float32Array;
  /** d_out. */
  readonly b: Float32Array;
  haveBias: boolean;
  isOrthonormal = false;
  protected trained = false;

  constructor(dIn: number, dOut: number, haveBias = false) {
    assertPositiveInt('dIn', dIn);
    assertPositiveInt('dOut', dOut);
    this.dIn = dIn;
    this.dOut = dOut;
    this.A = new Float32Array(dOut * dIn);
    this.b = new Float32Array(dOut);
    this.haveBias = haveBias;
  }

  /** A plain linear transform from faiss's arrays. */
  static fromParts(parts: LinearTransformParts): LinearTransform {
    const t = new LinearTransform(parts.dIn, parts.dOut, parts.b !== undefined);
    t.setAb(parts.A, parts.b);
    return t;
  }

  get isTrained(): boolean {
    return this.trained;
  }

  /** Copies A (and b) in and marks the transform trained. */
  setAb(A: ArrayLike<number>, b?: ArrayLike<number>): void {
    assertLength('A', A, this.dOut * this.dIn);
    this.A.set(A);
    if (b) {
      assertLength('b', b, this.dOut);
      this.b.set(b);
      this.haveBias = true;
    } else {
      this.b.fill(0);
    }
    this.isOrthonormal = this.checkOrthonormal();
    this.trained = true;
  }

  /** faiss LinearTransform::set_is_orthonormal: A A^T = I within 4e-5 (only possible if d_out <= d_in). */
  protected checkOrthonormal(): boolean {
    const { dIn, dOut, A } = this;
    if (dOut > dIn) return false;
    for (let i = 0; i < dOut; i++) {
      for (let j = 0; j <= i; j++) {
        let s = 0;
        for (let t = 0; t < dIn; t++) s += A[i * dIn + t] * A[j * dIn + t];
        if (Math.abs(s - (i === j ? 1 : 0)) > 4e-5) return false;
      }
    }
    return true;
  }

  train(_x: Vectors, _n: number, _opts?: TrainOptions): void {
    if (!this.trained) {
      throw new FindableError('INVALID_ARGUMENT', 'a plain LinearTransform cannot be trained; use fromParts');
    }
  }

  /** y = A x + b for n rows (n x d_in -> n x d_out), float64 accumulation. */
  apply(xIn: Vectors, n: number): Float32Array {
    if (!this.trained) throw notTrained(this.constructor.name);
    const x = asF32('x', xIn, n, this.dIn);
    const { dIn, dOut, A, b } = this;
    const y = new Float32Array(n * dOut);
    for (let i = 0; i < n; i++) {
      const xo = i * dIn;
      for (let r = 0; r < dOut; r++) {
        const ao = r * dIn;
        let s = b[r];
        for (let j = 0; j < dIn; j++) s += A[ao + j] * x[xo + j];
        y[i * dOut + r] = s;
      }
    }
    return y;
  }

  /** x = A^T (y - b) (n x d_out -> n x d_in): the exact inverse when the rows of A are orthonormal. */
  transformTranspose(yIn: Vectors, n: number): Float32Array {
    const y = asF32('y', yIn, n, this.dOut);
    const { dIn, dOut, A, b } = this;
    const x = new Float64Array(n * dIn);
    for (let i = 0; i < n; i++) {
      const xo = i * dIn;
      for (let r = 0; r < dOut; r++) {
        const v = y[i * dOut + r] - b[r];
        if (v === 0) continue;
        const ao = r * dIn;
        for (let j = 0; j < dIn; j++) x[xo + j] += v * A[ao + j];
      }
    }
    return Float32Array.from(x);
  }

  /** faiss reverse_transform: transformTranspose, refused for non-orthonormal A. */
  reverseTransform(y: Vectors, n: number): Float32Array {
    if (!this.trained) throw notTrained(this.constructor.name);
    if (!this.isOrthonormal) {
      throw new FindableError(
        'INVALID_ARGUMENT',
        'reverse transform not implemented for non-orthonormal matrices (e.g. PCA with eigen_power)',
      );
    }
    return this.transformTranspose(y, n);
  }
}
