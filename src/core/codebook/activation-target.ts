/**
 * The activation target t = q(x) of a feature x under a frozen codebook (method.md section 2, step 1):
 * encode x exactly as the index stores it, then decode. Pure function of (codebook, x); no index object.
 *
 *   transforms  y = A x + b for each linear stage (l2norm: y = x / ||x||), in order
 *   flat        q(y) = y
 *   pq          code_m = argmin_c ||y_m - C[m][c]||^2 (smallest c on ties), q(y) = concat_m C[m][code_m]
 *   ivf-flat    list = argmin_l ||y - C_l||^2, q(y) = C_list (flat codes are exact: the cell is what is lost)
 *   ivf-pq      list as above, r = y - C_list if byResidual else y, code = pq(r), q(y) = C_list + PQdecode(code)
 *               (without byResidual: q(y) = PQdecode(code))
 *   lsh         v = R y (or the first nbits components of y), v -= thresholds, bit_j = v_j >= 0;
 *               decode u_j = +1 / -1, u += thresholds, back = R^T u (or u then zeros)      = faiss sa_decode
 *   back through the transforms in reverse: x = A^T (y - b) (faiss reverse_transform), l2norm: identity
 *
 * Numerics follow faiss: values are float32 between stages (Math.fround), each dot product / distance is
 * accumulated in float64 and rounded once. Matches faiss sa_decode(sa_encode(x)) to float32 rounding
 * (see activation-target.test.ts for the measured agreement).
 */
import { FindableError } from '../errors.ts';
import type { CodebookParts, QuantizerParts, TransformParts } from './types.ts';

export interface ActivationTarget {
  /** q(x) mapped back to the input (feature) space: what the activation loss pulls f(I) towards. */
  target: Float32Array;
  /** q(x) in the quantizer's space (after the transforms). */
  quantized: Float32Array;
  /** IVF list number of x, -1 for non-IVF quantizers. */
  listId: number;
  /**
   * The code the index would store: PQ / IVF-PQ one sub-centroid number per sub-quantizer (M entries),
   * LSH the packed bits (ceil(nbits / 8) bytes, bit j in byte j >> 3 at position j & 7), else empty.
   */
  code: Uint32Array | Uint8Array;
}

type Codebook = Pick<CodebookParts, 'd' | 'transforms' | 'quantizer'>;

function forward(t: TransformParts, x: Float32Array): Float32Array {
  const y = new Float32Array(t.dOut);
  if (t.type === 'l2norm') {
    let s = 0;
    for (let i = 0; i < x.length; i++) s += x[i] * x[i];
    // faiss fvec_renorm_L2 leaves zero vectors unchanged.
    const inv = s > 0 ? 1 / Math.sqrt(s) : 1;
    for (let i = 0; i < x.length; i++) y[i] = x[i] * inv;
    return y;
  }
  for (let o = 0; o < t.dOut; o++) {
    let s = 0;
    const row = o * t.dIn;
    for (let i = 0; i < t.dIn; i++) s += t.A[row + i] * x[i];
    y[o] = t.b ? Math.fround(s) + t.b[o] : s;
  }
  return y;
}

function reverse(t: TransformParts, y: Float32Array): Float32Array {
  if (t.type === 'l2norm') return y.slice();
  const x = new Float64Array(t.dIn);
  for (let o = 0; o < t.dOut; o++) {
    const v = t.b ? Math.fround(y[o] - t.b[o]) : y[o];
    const row = o * t.dIn;
    for (let i = 0; i < t.dIn; i++) x[i] += t.A[row + i] * v;
  }
  return Float32Array.from(x);
}

/** Index of the nearest of n rows of `rows` (n x dim, starting at offset `base`) to v[off .. off + dim). */
function nearest(rows: Float32Array, base: number, n: number, dim: number, v: ArrayLike<number>, off: number): number {
  let best = 0;
  let bestD = Number.POSITIVE_INFINITY;
  for (let c = 0; c < n; c++) {
    let s = 0;
    const r = base + c * dim;
    for (let j = 0; j < dim; j++) {
      const diff = v[off + j] - rows[r + j];
      s += diff * diff;
    }
    const dist = Math.fround(s);
    if (dist < bestD) {
      bestD = dist;
      best = c;
    }
  }
  return best;
}

/** PQ encode + decode of r (length d); writes the code into `code` and returns the reconstruction. */
function pqRoundTrip(centroids: Float32Array, d: number, M: number, nbits: number, r: Float32Array, code: Uint32Array) {
  const ksub = 2 ** nbits;
  const dsub = d / M;
  const out = new Float32Array(d);
  for (let m = 0; m < M; m++) {
    const base = m * ksub * dsub;
    const c = nearest(centroids, base, ksub, dsub, r, m * dsub);
    code[m] = c;
    out.set(centroids.subarray(base + c * dsub, base + (c + 1) * dsub), m * dsub);
  }
  return out;
}

function quantize(q: QuantizerParts, y: Float32Array): Omit<ActivationTarget, 'target'> {
  switch (q.type) {
    case 'flat':
      return { quantized: y.slice(), listId: -1, code: new Uint8Array(0) };
    case 'pq': {
      const code = new Uint32Array(q.M);
      return { quantized: pqRoundTrip(q.centroids, q.d, q.M, q.nbits, y, code), listId: -1, code };
    }
    case 'ivf-flat': {
      const listId = nearest(q.centroids, 0, q.nlist, q.d, y, 0);
      return { quantized: q.centroids.slice(listId * q.d, (listId + 1) * q.d), listId, code: new Uint8Array(0) };
    }
    case 'ivf-pq': {
      const listId = nearest(q.centroids, 0, q.nlist, q.d, y, 0);
      const c = q.centroids.subarray(listId * q.d, (listId + 1) * q.d);
      const r = q.byResidual ? y.map((v, j) => v - c[j]) : y;
      const code = new Uint32Array(q.M);
      const quantized = pqRoundTrip(q.pqCentroids, q.d, q.M, q.nbits, r, code);
      if (q.byResidual) for (let j = 0; j < q.d; j++) quantized[j] += c[j];
      return { quantized, listId, code };
    }
    case 'lsh':
      return lshRoundTrip(q, y);
    default:
      throw new FindableError('FACTORY_UNSUPPORTED', `unknown quantizer type ${(q as { type: string }).type}`);
  }
}

function lshRoundTrip(q: Extract<QuantizerParts, { type: 'lsh' }>, y: Float32Array): Omit<ActivationTarget, 'target'> {
  const { nbits, rotation, thresholds } = q;
  const v = new Float32Array(nbits);
  for (let j = 0; j < nbits; j++) {
    if (rotation) {
      let s = 0;
      for (let i = 0; i < q.d; i++) s += rotation[j * q.d + i] * y[i];
      v[j] = s;
    } else {
      v[j] = y[j];
    }
    if (thresholds) v[j] -= thresholds[j];
  }
  const code = new Uint8Array(Math.ceil(nbits / 8));
  const u = new Float32Array(nbits);
  for (let j = 0; j < nbits; j++) {
    const bit = v[j] >= 0;
    if (bit) code[j >> 3] |= 1 << (j & 7);
    u[j] = (bit ? 1 : -1) + (thresholds ? thresholds[j] : 0);
  }
  let quantized: Float32Array;
  if (rotation) {
    const acc = new Float64Array(q.d);
    for (let j = 0; j < nbits; j++) for (let i = 0; i < q.d; i++) acc[i] += rotation[j * q.d + i] * u[j];
    quantized = Float32Array.from(acc);
  } else {
    quantized = new Float32Array(q.d);
    quantized.set(u);
  }
  return { quantized, listId: -1, code };
}

/** Target for one feature vector x (length codebook.d). */
export function activationTarget(codebook: Codebook, x: ArrayLike<number>): ActivationTarget {
  if (x.length !== codebook.d) {
    throw new FindableError('SHAPE_MISMATCH', `feature has ${x.length} dimensions, the codebook expects ${codebook.d}`);
  }
  let y: Float32Array = Float32Array.from(x);
  for (let i = 0; i < y.length; i++) {
    if (!Number.isFinite(y[i])) throw new FindableError('NOT_FINITE', `feature component ${i} is ${y[i]}`);
  }
  for (const t of codebook.transforms) y = forward(t, y);
  const q = quantize(codebook.quantizer, y);
  let back = q.quantized;
  for (let i = codebook.transforms.length - 1; i >= 0; i--) back = reverse(codebook.transforms[i], back);
  if (back === q.quantized) back = back.slice();
  return { target: back, ...q };
}

/** Targets for n feature vectors stored row-major (n x d); returns n x d. */
export function activationTargets(codebook: Codebook, x: ArrayLike<number>, n: number): Float32Array {
  const d = codebook.d;
  if (x.length !== n * d) {
    throw new FindableError('SHAPE_MISMATCH', `expected ${n} x ${d} = ${n * d} values, got ${x.length}`);
  }
  const out = new Float32Array(n * d);
  const row = new Float32Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) row[j] = x[i * d + j];
    out.set(activationTarget(codebook, row).target, i * d);
  }
  return out;
}
