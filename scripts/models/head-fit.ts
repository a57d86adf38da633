/**
 * Fits the linear descriptor head (PCA to OUT_DIM with optional (partial) whitening) on pooled features, and
 * applies it in JS for evaluation. Uses src/core/linalg.ts (float64, deterministic: fixed summation order,
 * eigenvectors sign-normalised), so the same features always give the same head, bit for bit.
 */
import { covariance, symEig } from '../../src/core/linalg.ts';
import type { HeadParams } from './extractor-graph.ts';

export const OUT_DIM = 512;

export interface HeadConfig {
  preL2: boolean;
  /**
   * Whitening exponent w: component k is scaled by lambda_k^(-w/2).
   * 0 = plain PCA projection, 1 = full whitening, 0.5 = partial ("power") whitening.
   */
  whiten: number;
  outDim: number;
}

export interface PcaFit {
  preL2: boolean;
  dim: number;
  mean: Float64Array;
  /** Eigenvalues, descending. */
  values: Float64Array;
  /** Row k = k-th eigenvector (d x d, row-major). */
  vectors: Float64Array;
}

/** Rows of x (n x d) scaled to unit L2 norm (float64 maths, float32 storage). */
export function l2Rows(x: Float32Array, n: number, d: number): Float32Array {
  const out = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += x[i * d + j] * x[i * d + j];
    const inv = 1 / Math.max(Math.sqrt(s), 1e-6);
    for (let j = 0; j < d; j++) out[i * d + j] = x[i * d + j] * inv;
  }
  return out;
}

/**
 * PCA of n row vectors (n x d). With n >= d: eigendecomposition of the d x d covariance. With n < d (rank <= n-1)
 * the n x n Gram matrix of the centred rows is decomposed instead (same non-zero spectrum, O(n^3) instead of
 * O(d^3)); eigenvectors are mapped back with v_k = Xc^T u_k / ||Xc^T u_k|| and sign-normalised like symEig
 * (largest-|.| component positive). Only the first min(n, d) components are meaningful; the rest are zero.
 * `keep` limits how many eigenvectors are mapped back in the n < d case (the others are left zero).
 */
export function fitPca(x: Float32Array, n: number, d: number, preL2: boolean, keep: number = d): PcaFit {
  const xs = preL2 ? l2Rows(x, n, d) : x;
  if (n >= d) {
    const { mean, cov } = covariance(xs, n, d, { normalize: 'n' });
    const { values, vectors } = symEig(cov, d);
    return { preL2, dim: d, mean, values, vectors };
  }
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += xs[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  const xc = new Float64Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) xc[i * d + j] = xs[i * d + j] - mean[j];
  const gram = new Float64Array(n * n);
  for (let a = 0; a < n; a++) {
    for (let b = a; b < n; b++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += xc[a * d + j] * xc[b * d + j];
      gram[a * n + b] = s / n;
      gram[b * n + a] = s / n;
    }
  }
  const eg = symEig(gram, n);
  const values = new Float64Array(d);
  const vectors = new Float64Array(d * d);
  const v = new Float64Array(d);
  for (let k = 0; k < n; k++) values[k] = Math.max(eg.values[k], 0);
  // Eigenvectors are only mapped back for the `keep` leading components (the rest stay zero).
  for (let k = 0; k < Math.min(n, keep); k++) {
    v.fill(0);
    for (let i = 0; i < n; i++) {
      const u = eg.vectors[k * n + i];
      if (u === 0) continue;
      for (let j = 0; j < d; j++) v[j] += u * xc[i * d + j];
    }
    let s = 0;
    let best = 0;
    for (let j = 0; j < d; j++) {
      s += v[j] * v[j];
      if (Math.abs(v[j]) > Math.abs(best)) best = v[j];
    }
    const inv = (best < 0 ? -1 : 1) / Math.max(Math.sqrt(s), 1e-300);
    for (let j = 0; j < d; j++) vectors[k * d + j] = v[j] * inv;
  }
  return { preL2, dim: d, mean, values, vectors };
}

/** Builds the head parameters: proj[i, k] = v_k[i] * max(lambda_k, floor)^(-whiten/2), bias = -mean @ proj. */
export function headFromPca(fit: PcaFit, whiten: number, outDim: number = OUT_DIM): HeadParams {
  const d = fit.dim;
  if (outDim > d) throw new Error('outDim larger than the feature dimension');
  // Tiny eigenvalues (rank-deficient covariance) are floored at 1e-6 of the largest one.
  const scales = whitenScales(fit, whiten, outDim);
  const proj = new Float32Array(d * outDim);
  for (let k = 0; k < outDim; k++) {
    for (let i = 0; i < d; i++) proj[i * outDim + k] = fit.vectors[k * d + i] * scales[k];
  }
  const bias = new Float32Array(outDim);
  for (let k = 0; k < outDim; k++) {
    let s = 0;
    for (let i = 0; i < d; i++) s += fit.mean[i] * proj[i * outDim + k];
    bias[k] = -s;
  }
  return { preL2: fit.preL2, inDim: d, outDim, proj, bias };
}

/** Whitening scales lambda_k^(-whiten/2) of the first outDim components (1 for whiten = 0). */
export function whitenScales(fit: PcaFit, whiten: number, outDim: number = OUT_DIM): Float64Array {
  const floor = Math.max(fit.values[0], 0) * 1e-6 || 1e-12;
  const s = new Float64Array(outDim);
  for (let k = 0; k < outDim; k++) s[k] = whiten === 0 ? 1 : Math.max(fit.values[k], floor) ** (-whiten / 2);
  return s;
}

/** Rows of z (n x m) multiplied by `scales` (per column), then L2-normalised. */
export function scaleRowsL2(z: Float32Array, n: number, m: number, scales: Float64Array): Float32Array {
  const out = new Float32Array(n * m);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < m; k++) {
      const v = z[i * m + k] * scales[k];
      s += v * v;
    }
    const inv = 1 / Math.max(Math.sqrt(s), 1e-6);
    for (let k = 0; k < m; k++) out[i * m + k] = z[i * m + k] * scales[k] * inv;
  }
  return out;
}

/**
 * Applies the head like the ONNX graph does (in float64): L2( pre(x) @ proj + bias ); with normalize = false
 * the final L2 normalisation is skipped.
 */
export function applyHead(head: HeadParams, x: Float32Array, n: number, normalize = true): Float32Array {
  const d = head.inDim;
  const m = head.outDim;
  const xs = head.preL2 ? l2Rows(x, n, d) : x;
  const out = new Float32Array(n * m);
  const acc = new Float64Array(m);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < m; k++) acc[k] = head.bias[k];
    for (let j = 0; j < d; j++) {
      const v = xs[i * d + j];
      if (v === 0) continue;
      const base = j * m;
      for (let k = 0; k < m; k++) acc[k] += v * head.proj[base + k];
    }
    let s = 0;
    for (let k = 0; k < m; k++) s += acc[k] * acc[k];
    const inv = normalize ? 1 / Math.max(Math.sqrt(s), 1e-6) : 1;
    for (let k = 0; k < m; k++) out[i * m + k] = acc[k] * inv;
  }
  return out;
}

/**
 * Learned whitening (Radenović, Tolias, Chum, "Fine-tuning CNN image retrieval with no human annotation",
 * TPAMI 2018, section 4.2): a linear head fitted from matching pairs, so that what copies of one image have
 * in common is kept and what edits change is shrunk.
 *   1. C_S = mean over pairs of (a - b)(a - b)^T (how edits move the feature), plus `reg` * tr(C_S)/d * I so
 *      that directions no edit in the pair set happened to move are not blown up;
 *      P_w = C_S^(-1/2)  (edits become unit, isotropic noise).
 *   2. C_D = covariance of P_w (x - mean) over the fit set (how images differ, measured in noise units);
 *      its leading eigenvectors V_D are the directions with the highest signal-to-noise ratio.
 *   3. proj = P_w V_D[:, :outDim], bias = -mean @ proj. Component k has variance lambda_D,k on the fit set and
 *      unit variance for edit noise, so its spread says how far it can be trusted.
 * Rows are L2-normalised first when `preL2` (as in the graph). Float64, fixed-order sums and sign-normalised
 * eigenvectors (symEig): the same inputs give the same head bit for bit.
 */
export interface LearnedWhiteningInput {
  /** Fit set (n x d): images for the between-image scatter and the mean. */
  x: Float32Array;
  n: number;
  /** Matching pairs: row i of `a` and row i of `b` (pairs x d) are copies of one image. */
  a: Float32Array;
  b: Float32Array;
  pairs: number;
  d: number;
  preL2: boolean;
  /** Ridge on C_S, relative to its mean eigenvalue. */
  reg: number;
  outDim: number;
}

export interface LearnedWhiteningFit {
  head: HeadParams;
  /** Eigenvalues of C_D (descending): signal-to-noise per output component. */
  snr: Float64Array;
}

export function fitLearnedWhitening(input: LearnedWhiteningInput): LearnedWhiteningFit {
  const { n, pairs, d, preL2, reg, outDim } = input;
  if (outDim > d) throw new Error('outDim larger than the feature dimension');
  if (pairs < 1 || n < 2) throw new Error('learned whitening needs at least one pair and two fit images');
  const x = preL2 ? l2Rows(input.x, n, d) : input.x;
  const a = preL2 ? l2Rows(input.a, pairs, d) : input.a;
  const b = preL2 ? l2Rows(input.b, pairs, d) : input.b;
  const diff = new Float64Array(pairs * d);
  for (let i = 0; i < pairs * d; i++) diff[i] = a[i] - b[i];
  const cs = covariance(diff, pairs, d, { center: false }).cov;
  let trace = 0;
  for (let j = 0; j < d; j++) trace += cs[j * d + j];
  const ridge = (reg * trace) / d;
  for (let j = 0; j < d; j++) cs[j * d + j] += ridge;
  // P_w = V diag(e^-1/2) V^T (symmetric inverse square root; rows of `vectors` are eigenvectors).
  const es = symEig(cs, d);
  const pw = new Float64Array(d * d);
  const floor = Math.max(es.values[0], 0) * 1e-12 || 1e-300;
  const tmp = new Float64Array(d * d); // tmp[k, j] = e_k^-1/2 v_k[j]
  for (let k = 0; k < d; k++) {
    const s = Math.max(es.values[k], floor) ** -0.5;
    for (let j = 0; j < d; j++) tmp[k * d + j] = es.vectors[k * d + j] * s;
  }
  for (let k = 0; k < d; k++) {
    for (let i = 0; i < d; i++) {
      const v = es.vectors[k * d + i];
      if (v === 0) continue;
      const row = i * d;
      const base = k * d;
      for (let j = 0; j < d; j++) pw[row + j] += v * tmp[base + j];
    }
  }
  // Whitened, centred fit set, then its covariance C_D.
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += x[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  const z = new Float64Array(n * d);
  const xc = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) xc[j] = x[i * d + j] - mean[j];
    const out = i * d;
    for (let k = 0; k < d; k++) {
      const v = xc[k];
      if (v === 0) continue;
      const row = k * d;
      for (let j = 0; j < d; j++) z[out + j] += v * pw[row + j];
    }
  }
  const cd = covariance(z, n, d, { center: false }).cov;
  const ed = symEig(cd, d);
  const proj = new Float32Array(d * outDim);
  const col = new Float64Array(d);
  for (let k = 0; k < outDim; k++) {
    // proj[:, k] = P_w v_D,k
    col.fill(0);
    for (let i = 0; i < d; i++) {
      const row = i * d;
      let s = 0;
      for (let j = 0; j < d; j++) s += pw[row + j] * ed.vectors[k * d + j];
      col[i] = s;
    }
    for (let i = 0; i < d; i++) proj[i * outDim + k] = col[i];
  }
  const bias = new Float32Array(outDim);
  for (let k = 0; k < outDim; k++) {
    let s = 0;
    for (let i = 0; i < d; i++) s += mean[i] * proj[i * outDim + k];
    bias[k] = -s;
  }
  return { head: { preL2, inDim: d, outDim, proj, bias }, snr: ed.values.slice(0, outDim) };
}
