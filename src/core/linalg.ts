/**
 * Small dense linear algebra for the index quantizers (PCA, OPQ, random rotations) and the codebook tools.
 *
 * Layout: every matrix is a flat ROW-MAJOR array: element (i, j) of an r x c matrix is a[i * c + j].
 * Inputs may be Float32Array or Float64Array; every reduction accumulates in float64 (JS numbers), so the
 * results are identical in the browser, the CLI and the server (no FMA, fixed summation order; the SVD's row
 * updates run in index/f64-kernels.ts, whose WebAssembly SIMD and JS paths give the same bits).
 *
 * Conventions chosen so that results are deterministic (same bits on every platform and every run):
 * - symEig: eigenvalues sorted DESCENDING; eigenvector i is ROW i of `vectors` (the layout of faiss's
 *   PCAMatrix A, d_out x d_in); each eigenvector's largest-|.| component is positive (first index on ties).
 * - svd: thin SVD a = u diag(s) vt like numpy.linalg.svd(full_matrices=False); s descending; for each k the
 *   largest-|.| component of column k of u is positive (v's row k flipped with it).
 * These sign rules make our output equal to numpy's up to those documented sign flips.
 */
import { FindableError } from './errors.ts';
import { F64Kernels } from './index/f64-kernels.ts';

export type FloatArray = Float32Array | Float64Array;

function checkLen(name: string, a: ArrayLike<number>, expected: number): void {
  if (a.length < expected) {
    throw new FindableError('SHAPE_MISMATCH', `${name}: expected at least ${expected} elements, got ${a.length}`, {
      name,
      expected,
      actual: a.length,
    });
  }
}

function checkDims(...dims: number[]): void {
  for (const v of dims) {
    if (!Number.isInteger(v) || v < 0) {
      throw new FindableError('INVALID_ARGUMENT', `matrix dimensions must be non-negative integers, got ${v}`);
    }
  }
}

function checkFinite(name: string, a: ArrayLike<number>, len: number): void {
  for (let i = 0; i < len; i++) {
    if (!Number.isFinite(a[i])) {
      throw new FindableError('NOT_FINITE', `${name} contains a non-finite value at ${i}`, { name, index: i });
    }
  }
}

/** Multiply-adds from which matmul runs its rank-1 updates in the f64 kernels (below, the JS loop is as fast). */
const MATMUL_KERNEL_MIN = 1 << 18;

export interface MatmulOptions {
  /** A is stored k x m (row-major) and used transposed. */
  transA?: boolean;
  /** B is stored n x k (row-major) and used transposed. */
  transB?: boolean;
  /** Output buffer (m x n); a new Float64Array if absent. Float32 outputs are rounded once at the end. */
  out?: FloatArray;
}

/**
 * C = op(A) op(B) with op(A) m x k and op(B) k x n; returns C (m x n, row-major).
 * A is stored m x k (or k x m with transA); B is stored k x n (or n x k with transB).
 * Sums run over p = 0..k-1 in order, in float64.
 */
export function matmul(
  a: FloatArray,
  b: FloatArray,
  m: number,
  k: number,
  n: number,
  opts: MatmulOptions = {},
): FloatArray {
  checkDims(m, k, n);
  checkLen('A', a, m * k);
  checkLen('B', b, k * n);
  const out = opts.out ?? new Float64Array(m * n);
  checkLen('out', out, m * n);
  const ta = opts.transA === true;
  const tb = opts.transB === true;
  if (!ta && tb) {
    // Rows of A against rows of B: contiguous dot products.
    for (let i = 0; i < m; i++) {
      const ai = i * k;
      for (let j = 0; j < n; j++) {
        const bj = j * k;
        let s = 0;
        for (let p = 0; p < k; p++) s += a[ai + p] * b[bj + p];
        out[i * n + j] = s;
      }
    }
    return out;
  }
  // Other cases: accumulate rank-1 updates row by row in a float64 buffer (sum order is still p ascending).
  if (!tb && m * k * n >= MATMUL_KERNEL_MIN) {
    // Large products: the same updates in the f64 SIMD axpy (same bits), B copied into the kernel's heap.
    const K = new F64Kernels(k * n + n);
    const bh = K.alloc(k * n);
    bh.set(b.subarray(0, k * n));
    const acc = K.alloc(n);
    for (let i = 0; i < m; i++) {
      acc.fill(0);
      for (let p = 0; p < k; p++) {
        const aip = ta ? a[p * m + i] : a[i * k + p];
        if (aip !== 0) K.axpy(aip, bh, p * n, acc, 0, n);
      }
      out.set(acc, i * n);
    }
    return out;
  }
  const acc = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    acc.fill(0);
    for (let p = 0; p < k; p++) {
      const aip = ta ? a[p * m + i] : a[i * k + p];
      if (aip === 0) continue;
      if (tb) {
        for (let j = 0; j < n; j++) acc[j] += aip * b[j * k + p];
      } else {
        const bp = p * n;
        for (let j = 0; j < n; j++) acc[j] += aip * b[bp + j];
      }
    }
    out.set(acc, i * n);
  }
  return out;
}

/** Transpose of an r x c matrix (returns c x r, same element type). */
export function transpose<T extends FloatArray>(a: T, r: number, c: number): T {
  checkDims(r, c);
  checkLen('a', a, r * c);
  const out = new (a.constructor as { new (n: number): T })(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = a[i * c + j];
  return out;
}

/** Identity n x n (float64). */
export function identity(n: number): Float64Array {
  checkDims(n);
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) out[i * n + i] = 1;
  return out;
}

export interface CovarianceOptions {
  /** Subtract the mean first (default true). */
  center?: boolean;
  /**
   * Divisor: 'n' (default, population covariance), 'n-1' (numpy.cov default), 'none' (the raw scatter
   * matrix sum_i (x_i - mean)(x_i - mean)^T, what faiss's PCAMatrix eigen-decomposes).
   */
  normalize?: 'n' | 'n-1' | 'none';
}

/** Mean (d) and covariance (d x d) of n row vectors x (n x d). Two-pass, float64. */
export function covariance(
  x: FloatArray,
  n: number,
  d: number,
  opts: CovarianceOptions = {},
): { mean: Float64Array; cov: Float64Array } {
  checkDims(n, d);
  checkLen('x', x, n * d);
  const mean = new Float64Array(d);
  if (opts.center !== false && n > 0) {
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += x[i * d + j];
    for (let j = 0; j < d; j++) mean[j] /= n;
  }
  const cov = new Float64Array(d * d);
  const row = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) row[j] = x[i * d + j] - mean[j];
    // Upper triangle only, mirrored below: halves the work.
    for (let a = 0; a < d; a++) {
      const ra = row[a];
      if (ra === 0) continue;
      const base = a * d;
      for (let b = a; b < d; b++) cov[base + b] += ra * row[b];
    }
  }
  const norm = opts.normalize ?? 'n';
  const div = norm === 'none' ? 1 : norm === 'n-1' ? Math.max(n - 1, 1) : Math.max(n, 1);
  for (let a = 0; a < d; a++) {
    for (let b = a; b < d; b++) {
      const v = cov[a * d + b] / div;
      cov[a * d + b] = v;
      cov[b * d + a] = v;
    }
  }
  return { mean, cov };
}

/** Flip the sign of `len` elements of `v` starting at `off` with stride `stride` if its largest-|.| entry is < 0. */
function signNormalize(v: Float64Array, off: number, stride: number, len: number): boolean {
  let best = 0;
  let bestAbs = -1;
  for (let i = 0; i < len; i++) {
    const x = v[off + i * stride];
    const ax = Math.abs(x);
    if (ax > bestAbs) {
      bestAbs = ax;
      best = x;
    }
  }
  if (best < 0) {
    for (let i = 0; i < len; i++) v[off + i * stride] = -v[off + i * stride];
    return true;
  }
  return false;
}

export interface SymEig {
  /** Eigenvalues, descending. */
  values: Float64Array;
  /** n x n row-major; ROW i is the unit eigenvector of values[i]. */
  vectors: Float64Array;
}

/**
 * Eigendecomposition of a symmetric n x n matrix. The input is symmetrised as (a + a^T) / 2 first, which
 * absorbs the rounding asymmetry of matrices accumulated in float32.
 * Householder tridiagonalisation + implicit QL (EISPACK tred2/tql2 as in JAMA), O(n^3), float64.
 */
export function symEig(a: FloatArray, n: number): SymEig {
  checkDims(n);
  checkLen('a', a, n * n);
  checkFinite('a', a, n * n);
  if (n === 0) return { values: new Float64Array(0), vectors: new Float64Array(0) };
  // V[i * n + j] plays JAMA's V[i][j].
  const V = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) V[i * n + j] = 0.5 * (a[i * n + j] + a[j * n + i]);
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  tred2(V, d, e, n);
  // tql2 rotates pairs of COLUMNS of V; work on W = V^T so that those become contiguous rows.
  const W = transposeSquare(V, n);
  tql2(W, d, e, n);
  // W row j is the eigenvector of d[j]. Sort descending (stable on index for ties -> deterministic).
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((x, y) => d[y] - d[x] || x - y);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  for (let r = 0; r < n; r++) {
    values[r] = d[order[r]];
    vectors.set(W.subarray(order[r] * n, order[r] * n + n), r * n);
    signNormalize(vectors, r * n, 1, n);
  }
  return { values, vectors };
}

function transposeSquare(v: Float64Array, n: number): Float64Array {
  const w = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) w[j * n + i] = v[i * n + j];
  return w;
}

/** Householder reduction to tridiagonal form (EISPACK tred2). On exit V holds the transform, d/e the tridiagonal. */
function tred2(V: Float64Array, d: Float64Array, e: Float64Array, n: number): void {
  for (let j = 0; j < n; j++) d[j] = V[(n - 1) * n + j];
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]);
    if (scale === 0) {
      e[i] = d[i - 1];
      for (let j = 0; j < i; j++) {
        d[j] = V[(i - 1) * n + j];
        V[i * n + j] = 0;
        V[j * n + i] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] /= scale;
        h += d[k] * d[k];
      }
      let f = d[i - 1];
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        f = d[j];
        V[j * n + i] = f;
        g = e[j] + V[j * n + j] * f;
        for (let k = j + 1; k <= i - 1; k++) {
          g += V[k * n + j] * d[k];
          e[k] += V[k * n + j] * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] /= h;
        f += e[j] * d[j];
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] -= hh * d[j];
      for (let j = 0; j < i; j++) {
        f = d[j];
        g = e[j];
        for (let k = j; k <= i - 1; k++) V[k * n + j] -= f * e[k] + g * d[k];
        d[j] = V[(i - 1) * n + j];
        V[i * n + j] = 0;
      }
    }
    d[i] = h;
  }
  // Accumulate transformations.
  for (let i = 0; i < n - 1; i++) {
    V[(n - 1) * n + i] = V[i * n + i];
    V[i * n + i] = 1;
    const h = d[i + 1];
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = V[k * n + i + 1] / h;
      for (let j = 0; j <= i; j++) {
        let g = 0;
        for (let k = 0; k <= i; k++) g += V[k * n + i + 1] * V[k * n + j];
        for (let k = 0; k <= i; k++) V[k * n + j] -= g * d[k];
      }
    }
    for (let k = 0; k <= i; k++) V[k * n + i + 1] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = V[(n - 1) * n + j];
    V[(n - 1) * n + j] = 0;
  }
  V[(n - 1) * n + (n - 1)] = 1;
  e[0] = 0;
}

/** Implicit QL on the tridiagonal (EISPACK tql2). W is the TRANSPOSED transform: row j = column j of JAMA's V. */
function tql2(W: Float64Array, d: Float64Array, e: Float64Array, n: number): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i];
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
    let m = l;
    while (m < n) {
      if (Math.abs(e[m]) <= eps * tst1) break;
      m++;
    }
    if (m > l) {
      let iter = 0;
      do {
        if (++iter > 100) {
          throw new FindableError('NOT_FINITE', 'symEig: QL iteration did not converge');
        }
        let g = d[l];
        let p = (d[l + 1] - g) / (2 * e[l]);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const dl1 = d[l + 1];
        let h = g - d[l];
        for (let i = l + 2; i < n; i++) d[i] -= h;
        f += h;
        p = d[m];
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1];
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = Math.hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          const ri = i * n;
          const ri1 = (i + 1) * n;
          for (let k = 0; k < n; k++) {
            const hk = W[ri1 + k];
            const vk = W[ri + k];
            W[ri1 + k] = s * vk + c * hk;
            W[ri + k] = c * vk - s * hk;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]) > eps * tst1);
    }
    d[l] += f;
    e[l] = 0;
  }
}

export interface Svd {
  /** m x r row-major, r = min(m, n); orthonormal columns. */
  u: Float64Array;
  /** r singular values, descending, >= 0. */
  s: Float64Array;
  /** r x n row-major; orthonormal rows. a = u diag(s) vt. */
  vt: Float64Array;
}

/**
 * Thin SVD of an m x n matrix (Golub-Kahan-Reinsch as in LINPACK/JAMA), float64.
 * Used by OPQ's Procrustes step (R = U V^T) and by anything that needs an orthogonal factor.
 */
export function svd(a: FloatArray, m: number, n: number): Svd {
  checkDims(m, n);
  checkLen('a', a, m * n);
  checkFinite('a', a, m * n);
  const r = Math.min(m, n);
  if (r === 0) return { u: new Float64Array(0), s: new Float64Array(0), vt: new Float64Array(0) };
  let u: Float64Array;
  let s: Float64Array;
  let vt: Float64Array;
  if (m >= n) {
    // svdTall wants a column-major copy: that is the row-major transpose.
    const At = new Float64Array(m * n);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) At[j * m + i] = a[i * n + j];
    const res = svdTall(At, m, n);
    u = transpose(res.Ut, n, m); // m x n
    s = res.s;
    vt = res.Vt; // n x n
  } else {
    // a^T = V S U^T: decompose the tall n x m transpose; its column-major layout is a's row-major data.
    const A = Float64Array.from(a.subarray(0, m * n));
    const res = svdTall(A, n, m);
    // res.Ut (m x n): rows are the right singular vectors of a; res.Vt (m x m): rows are the left ones.
    u = transpose(res.Vt, m, m);
    s = res.s;
    vt = res.Ut;
  }
  // Deterministic signs: largest-|.| component of each u column positive.
  for (let k = 0; k < r; k++) {
    if (signNormalize(u, k, r, m)) {
      for (let j = 0; j < n; j++) vt[k * n + j] = -vt[k * n + j];
    }
  }
  return { u, s, vt };
}

/**
 * JAMA SingularValueDecomposition for m >= n, with every matrix stored TRANSPOSED (column-major) so that the
 * Householder and Givens updates, which walk columns, touch contiguous memory (5x faster at n = 512).
 * A(i, j) = A[j * m + i] is destroyed. Returns Ut (n x m: row k = u_k), s (n), Vt (n x n: row k = v_k).
 */
function svdTall(a: Float64Array, m: number, n: number): { Ut: Float64Array; s: Float64Array; Vt: Float64Array } {
  const nu = n;
  // A, U, V and work share one heap so that the row updates run in the f64 SIMD kernels (JS below n = 32).
  const K = new F64Kernels(2 * m * n + n * n + m, { wasm: n >= 32 });
  const A = K.alloc(m * n);
  A.set(a.subarray(0, m * n));
  const U = K.alloc(m * nu);
  const V = K.alloc(n * n);
  const work = K.alloc(m);
  const s = new Float64Array(Math.min(m + 1, n));
  const e = new Float64Array(n);
  const nct = Math.min(m - 1, n);
  const nrt = Math.max(0, Math.min(n - 2, m));
  for (let k = 0; k < Math.max(nct, nrt); k++) {
    if (k < nct) {
      s[k] = 0;
      for (let i = k; i < m; i++) s[k] = Math.hypot(s[k], A[k * m + i]);
      if (s[k] !== 0) {
        if (A[k * m + k] < 0) s[k] = -s[k];
        for (let i = k; i < m; i++) A[k * m + i] /= s[k];
        A[k * m + k] += 1;
      }
      s[k] = -s[k];
    }
    for (let j = k + 1; j < n; j++) {
      if (k < nct && s[k] !== 0) {
        const t = -K.dot(A, k * m + k, A, j * m + k, m - k) / A[k * m + k];
        K.axpy(t, A, k * m + k, A, j * m + k, m - k);
      }
      e[j] = A[j * m + k];
    }
    if (k < nct) {
      for (let i = k; i < m; i++) U[k * m + i] = A[k * m + i];
    }
    if (k < nrt) {
      e[k] = 0;
      for (let i = k + 1; i < n; i++) e[k] = Math.hypot(e[k], e[i]);
      if (e[k] !== 0) {
        if (e[k + 1] < 0) e[k] = -e[k];
        for (let i = k + 1; i < n; i++) e[i] /= e[k];
        e[k + 1] += 1;
      }
      e[k] = -e[k];
      if (k + 1 < m && e[k] !== 0) {
        work.fill(0, k + 1, m);
        for (let j = k + 1; j < n; j++) K.axpy(e[j], A, j * m + k + 1, work, k + 1, m - k - 1);
        for (let j = k + 1; j < n; j++) K.axpy(-e[j] / e[k + 1], work, k + 1, A, j * m + k + 1, m - k - 1);
      }
      for (let i = k + 1; i < n; i++) V[k * n + i] = e[i];
    }
  }
  let p = Math.min(n, m + 1);
  if (nct < n) s[nct] = A[nct * m + nct];
  if (m < p) s[p - 1] = 0;
  if (nrt + 1 < p) e[nrt] = A[(p - 1) * m + nrt];
  e[p - 1] = 0;
  // Generate U.
  for (let j = nct; j < nu; j++) {
    for (let i = 0; i < m; i++) U[j * m + i] = 0;
    U[j * m + j] = 1;
  }
  for (let k = nct - 1; k >= 0; k--) {
    if (s[k] !== 0) {
      for (let j = k + 1; j < nu; j++) {
        const t = -K.dot(U, k * m + k, U, j * m + k, m - k) / U[k * m + k];
        K.axpy(t, U, k * m + k, U, j * m + k, m - k);
      }
      for (let i = k; i < m; i++) U[k * m + i] = -U[k * m + i];
      U[k * m + k] = 1 + U[k * m + k];
      for (let i = 0; i < k; i++) U[k * m + i] = 0;
    } else {
      for (let i = 0; i < m; i++) U[k * m + i] = 0;
      U[k * m + k] = 1;
    }
  }
  // Generate V.
  for (let k = n - 1; k >= 0; k--) {
    if (k < nrt && e[k] !== 0) {
      for (let j = k + 1; j < nu; j++) {
        const t = -K.dot(V, k * n + k + 1, V, j * n + k + 1, n - k - 1) / V[k * n + (k + 1)];
        K.axpy(t, V, k * n + k + 1, V, j * n + k + 1, n - k - 1);
      }
    }
    for (let i = 0; i < n; i++) V[k * n + i] = 0;
    V[k * n + k] = 1;
  }
  // Main iteration loop for the singular values.
  const pp = p - 1;
  let iter = 0;
  const eps = 2 ** -52;
  const tiny = 2 ** -966;
  while (p > 0) {
    if (iter > 75 * n) throw new FindableError('NOT_FINITE', 'svd: iteration did not converge');
    let k: number;
    let kase: number;
    for (k = p - 2; k >= -1; k--) {
      if (k === -1) break;
      if (Math.abs(e[k]) <= tiny + eps * (Math.abs(s[k]) + Math.abs(s[k + 1]))) {
        e[k] = 0;
        break;
      }
    }
    if (k === p - 2) {
      kase = 4;
    } else {
      let ks: number;
      for (ks = p - 1; ks >= k; ks--) {
        if (ks === k) break;
        const t = (ks !== p ? Math.abs(e[ks]) : 0) + (ks !== k + 1 ? Math.abs(e[ks - 1]) : 0);
        if (Math.abs(s[ks]) <= tiny + eps * t) {
          s[ks] = 0;
          break;
        }
      }
      if (ks === k) kase = 3;
      else if (ks === p - 1) kase = 1;
      else {
        kase = 2;
        k = ks;
      }
    }
    k++;
    if (kase === 1) {
      // Deflate negligible s(p).
      let f = e[p - 2];
      e[p - 2] = 0;
      for (let j = p - 2; j >= k; j--) {
        const t = Math.hypot(s[j], f);
        const cs = s[j] / t;
        const sn = f / t;
        s[j] = t;
        if (j !== k) {
          f = -sn * e[j - 1];
          e[j - 1] = cs * e[j - 1];
        }
        K.rot(cs, sn, V, j * n, V, (p - 1) * n, n);
      }
    } else if (kase === 2) {
      // Split at negligible s(k).
      let f = e[k - 1];
      e[k - 1] = 0;
      for (let j = k; j < p; j++) {
        const t = Math.hypot(s[j], f);
        const cs = s[j] / t;
        const sn = f / t;
        s[j] = t;
        f = -sn * e[j];
        e[j] = cs * e[j];
        K.rot(cs, sn, U, j * m, U, (k - 1) * m, m);
      }
    } else if (kase === 3) {
      // One QR step with Wilkinson-like shift.
      const scale = Math.max(
        Math.abs(s[p - 1]),
        Math.abs(s[p - 2]),
        Math.abs(e[p - 2]),
        Math.abs(s[k]),
        Math.abs(e[k]),
      );
      const sp = s[p - 1] / scale;
      const spm1 = s[p - 2] / scale;
      const epm1 = e[p - 2] / scale;
      const sk = s[k] / scale;
      const ek = e[k] / scale;
      const b = ((spm1 + sp) * (spm1 - sp) + epm1 * epm1) / 2;
      const c = sp * epm1 * (sp * epm1);
      let shift = 0;
      if (b !== 0 || c !== 0) {
        shift = Math.sqrt(b * b + c);
        if (b < 0) shift = -shift;
        shift = c / (b + shift);
      }
      let f = (sk + sp) * (sk - sp) + shift;
      let g = sk * ek;
      for (let j = k; j < p - 1; j++) {
        let t = Math.hypot(f, g);
        let cs = f / t;
        let sn = g / t;
        if (j !== k) e[j - 1] = t;
        f = cs * s[j] + sn * e[j];
        e[j] = cs * e[j] - sn * s[j];
        g = sn * s[j + 1];
        s[j + 1] = cs * s[j + 1];
        K.rot(cs, sn, V, j * n, V, (j + 1) * n, n);
        t = Math.hypot(f, g);
        cs = f / t;
        sn = g / t;
        s[j] = t;
        f = cs * e[j] + sn * s[j + 1];
        s[j + 1] = -sn * e[j] + cs * s[j + 1];
        g = sn * e[j + 1];
        e[j + 1] = cs * e[j + 1];
        if (j < m - 1) {
          K.rot(cs, sn, U, j * m, U, (j + 1) * m, m);
        }
      }
      e[p - 2] = f;
      iter++;
    } else {
      // Convergence: make the singular value positive, then bubble it into descending order.
      if (s[k] <= 0) {
        s[k] = s[k] < 0 ? -s[k] : 0;
        for (let i = 0; i <= pp; i++) V[k * n + i] = -V[k * n + i];
      }
      while (k < pp) {
        if (s[k] >= s[k + 1]) break;
        let t = s[k];
        s[k] = s[k + 1];
        s[k + 1] = t;
        if (k < n - 1) {
          for (let i = 0; i < n; i++) {
            t = V[(k + 1) * n + i];
            V[(k + 1) * n + i] = V[k * n + i];
            V[k * n + i] = t;
          }
        }
        if (k < m - 1) {
          for (let i = 0; i < m; i++) {
            t = U[(k + 1) * m + i];
            U[(k + 1) * m + i] = U[k * m + i];
            U[k * m + i] = t;
          }
        }
        k++;
      }
      iter = 0;
      p--;
    }
  }
  return { Ut: U.slice(), s: s.subarray(0, n).slice(), Vt: V.slice() };
}

/**
 * Orthonormalise the rows of an r x c matrix (r <= c) in place by modified Gram-Schmidt, run twice
 * ("twice is enough") so the result is orthonormal to float64 precision. Used for random rotations.
 * Throws INVALID_ARGUMENT if the rows are (numerically) linearly dependent.
 */
export function orthonormalizeRows(a: Float64Array, r: number, c: number): Float64Array {
  checkDims(r, c);
  checkLen('a', a, r * c);
  if (r > c) throw new FindableError('INVALID_ARGUMENT', `cannot orthonormalise ${r} rows of length ${c}`);
  // Large matrices: the row updates run in the f64 axpy kernel (same bits: a - x = a + (-x)); dots stay sequential.
  const K = r * r * c >= MATMUL_KERNEL_MIN ? new F64Kernels(r * c) : null;
  const h = K ? K.alloc(r * c) : a;
  if (K) h.set(a.subarray(0, r * c));
  for (let pass = 0; pass < 2; pass++) {
    for (let i = 0; i < r; i++) {
      const ri = i * c;
      for (let j = 0; j < i; j++) {
        const rj = j * c;
        let dot = 0;
        for (let t = 0; t < c; t++) dot += h[ri + t] * h[rj + t];
        if (K) K.axpy(-dot, h, rj, h, ri, c);
        else for (let t = 0; t < c; t++) h[ri + t] -= dot * h[rj + t];
      }
      let nrm = 0;
      for (let t = 0; t < c; t++) nrm += h[ri + t] * h[ri + t];
      nrm = Math.sqrt(nrm);
      if (!(nrm > 1e-12))
        throw new FindableError('INVALID_ARGUMENT', 'orthonormalizeRows: rows are linearly dependent');
      for (let t = 0; t < c; t++) h[ri + t] /= nrm;
    }
  }
  if (K) a.set(h);
  return a;
}

/** Squared L2 norm of each of the n rows of x (n x d), float64 accumulation, returned as float64. */
export function rowNormsSq(x: FloatArray, n: number, d: number): Float64Array {
  checkDims(n, d);
  checkLen('x', x, n * d);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) {
      const v = x[i * d + j];
      s += v * v;
    }
    out[i] = s;
  }
  return out;
}
