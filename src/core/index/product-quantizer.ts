/**
 * faiss::ProductQuantizer with nbits = 8 (ksub = 256): the vector is cut into M sub-vectors of dsub = d / M
 * dimensions and each is replaced by the index of its nearest sub-centroid.
 *
 * Layouts (faiss ProductQuantizer.h):
 *   centroids: M x ksub x dsub row-major float32 (centroid c of sub-quantizer m starts at (m * ksub + c) * dsub)
 *   code: M bytes, byte m = sub-centroid index of sub-vector m (nbits 8 -> one byte each, code_size = M)
 * Training (faiss Train_default): for each m, k-means (niter 25, seed 1234, max 256 points per centroid) on
 * the m-th sub-vectors, each sub-quantizer with the same seed. Train_hot_start (OPQ after its first
 * iteration) restarts k-means from the current centroids.
 * Encoding: nearest sub-centroid, smallest index on ties. Distance tables (ADC): for a query y,
 *   table[m * ksub + c] = ||y_m - centroid(m, c)||^2, so ||y - decode(code)||^2 = sum_m table[m * ksub + code[m]].
 */
import { FindableError, throwIfAborted } from '../errors.ts';
import { assignNearest, normsSq } from './distances.ts';
import { DotKernel } from './dot-kernel.ts';
import { kmeans } from './kmeans.ts';
import type { TrainOptions, Vectors } from './types.ts';
import { asF32, assertLength, assertPositiveInt, notTrained } from './util.ts';

export interface PqTrainOptions extends TrainOptions {
  /** k-means iterations per sub-quantizer (faiss pq.cp.niter = 25). */
  niter?: number;
  seed?: number;
  maxPointsPerCentroid?: number;
  /** Start from the current centroids (faiss Train_hot_start). */
  hotStart?: boolean;
}

export class ProductQuantizer {
  readonly d: number;
  readonly M: number;
  readonly nbits = 8;
  readonly ksub = 256;
  readonly dsub: number;
  /** Bytes per code: M. */
  readonly codeSize: number;
  /** M x ksub x dsub row-major. Mutated in place by train(). */
  readonly centroids: Float32Array;
  private trained: boolean;
  /** Per sub-quantizer squared norms of the centroids (M x ksub), refreshed after training. */
  private norms: Float64Array;
  private codebookVersion = 0;
  /** The codebook resident in a dot-product kernel (M x 256 rows of dsub), for distance / inner-product tables. */
  private kernel: DotKernel | null = null;
  private kernelVersion = -1;

  constructor(d: number, M: number, nbits = 8) {
    assertPositiveInt('d', d);
    assertPositiveInt('M', M);
    if (nbits !== 8) {
      throw new FindableError('INVALID_ARGUMENT', `ProductQuantizer: only nbits = 8 is supported, got ${nbits}`, {
        nbits,
      });
    }
    if (d % M !== 0) {
      throw new FindableError('INVALID_ARGUMENT', `ProductQuantizer: d (${d}) must be a multiple of M (${M})`, {
        d,
        M,
      });
    }
    this.d = d;
    this.M = M;
    this.dsub = d / M;
    this.codeSize = M;
    this.centroids = new Float32Array(M * 256 * this.dsub);
    this.norms = new Float64Array(M * 256);
    this.trained = false;
  }

  /** From faiss's trained centroids (M x 256 x dsub). */
  static fromParts(parts: { d: number; M: number; centroids: Float32Array }): ProductQuantizer {
    const pq = new ProductQuantizer(parts.d, parts.M);
    pq.setCentroids(parts.centroids);
    return pq;
  }

  /** Replaces the codebook (M x 256 x dsub, copied) and marks the quantizer trained. */
  setCentroids(centroids: Float32Array): void {
    assertLength('pq centroids', centroids, this.centroids.length);
    this.centroids.set(centroids);
    this.refresh();
  }

  get isTrained(): boolean {
    return this.trained;
  }

  /** Incremented whenever the codebook changes (train / setCentroids); caches derived from it compare it. */
  get version(): number {
    return this.codebookVersion;
  }

  private refresh(): void {
    const { M, ksub, dsub } = this;
    for (let m = 0; m < M; m++) {
      normsSq(
        this.centroids.subarray(m * ksub * dsub, (m + 1) * ksub * dsub),
        ksub,
        dsub,
        this.norms.subarray(m * ksub),
      );
    }
    this.trained = true;
    this.codebookVersion++;
  }

  /** Centroids of sub-quantizer m (ksub x dsub view). */
  subCentroids(m: number): Float32Array {
    const s = this.ksub * this.dsub;
    return this.centroids.subarray(m * s, (m + 1) * s);
  }

  /** Progress units: sub-quantizers done / M. */
  train(xIn: Vectors, n: number, opts: PqTrainOptions = {}): void {
    const x = asF32('x', xIn, n, this.d);
    const { M, ksub, dsub, d } = this;
    const slice = new Float32Array(n * dsub);
    for (let m = 0; m < M; m++) {
      throwIfAborted(opts.signal);
      for (let i = 0; i < n; i++) slice.set(x.subarray(i * d + m * dsub, i * d + (m + 1) * dsub), i * dsub);
      const res = kmeans(slice, n, dsub, ksub, {
        niter: opts.niter ?? 25,
        seed: opts.seed ?? 1234,
        maxPointsPerCentroid: opts.maxPointsPerCentroid ?? 256,
        init: opts.hotStart && this.trained ? this.subCentroids(m).slice() : undefined,
        signal: opts.signal,
        // faiss warns once per sub-quantizer; one message is enough for the user.
        onWarning: m === 0 ? opts.onWarning : undefined,
      });
      this.centroids.set(res.centroids, m * ksub * dsub);
      opts.onProgress?.(m + 1, M);
    }
    this.refresh();
  }

  /** n x M codes. */
  computeCodes(xIn: Vectors, n: number, out: Uint8Array = new Uint8Array(n * this.M)): Uint8Array {
    if (!this.trained) throw notTrained('ProductQuantizer');
    const x = asF32('x', xIn, n, this.d);
    const { M, ksub, dsub, d } = this;
    const slice = new Float32Array(n * dsub);
    const labels = new Int32Array(n);
    const dist = new Float64Array(n);
    for (let m = 0; m < M; m++) {
      for (let i = 0; i < n; i++) slice.set(x.subarray(i * d + m * dsub, i * d + (m + 1) * dsub), i * dsub);
      assignNearest(
        slice,
        n,
        this.subCentroids(m),
        ksub,
        dsub,
        labels,
        dist,
        this.norms.subarray(m * ksub, (m + 1) * ksub),
      );
      for (let i = 0; i < n; i++) out[i * M + m] = labels[i];
    }
    return out;
  }

  /** n x d reconstructions of n codes (read from codes at codeOffset). */
  decode(codes: Uint8Array, n: number, out: Float32Array = new Float32Array(n * this.d), codeOffset = 0): Float32Array {
    if (!this.trained) throw notTrained('ProductQuantizer');
    const { M, ksub, dsub, d } = this;
    if (codes.length < codeOffset + n * M) {
      throw new FindableError('SHAPE_MISMATCH', `PQ decode: expected ${n * M} code bytes, got ${codes.length}`);
    }
    for (let i = 0; i < n; i++) {
      for (let m = 0; m < M; m++) {
        const c = codes[codeOffset + i * M + m];
        const src = (m * ksub + c) * dsub;
        out.set(this.centroids.subarray(src, src + dsub), i * d + m * dsub);
      }
    }
    return out;
  }

  /** Bytes of the codebook kernel (a copy of the codebook and its work space; 0 before the first table). */
  get workBytes(): number {
    return this.kernel ? this.kernel.bytes : 0;
  }

  /** The codebook kernel, loaded with the current centroids. */
  private codebookKernel(): DotKernel {
    if (this.kernel === null) this.kernel = new DotKernel();
    if (this.kernelVersion !== this.codebookVersion) {
      this.kernel.setY(this.centroids, 0, this.M * this.ksub, this.dsub);
      this.kernelVersion = this.codebookVersion;
    }
    return this.kernel;
  }

  /**
   * ADC table for one query y (d values at y[yo..]): table[m * ksub + c] = ||y_m - centroid(m, c)||^2 (float64,
   * dot-kernel.ts's summation order).
   */
  computeDistanceTable(y: Float32Array, yo: number, table: Float64Array): void {
    const { M, ksub, dsub } = this;
    const k = this.codebookKernel();
    for (let m = 0; m < M; m++) table.set(k.l2sq(y, yo + m * dsub, 1, m * ksub, (m + 1) * ksub), m * ksub);
  }

  /** Inner-product table: out[m * ksub + c] = <y_m, centroid(m, c)> (float64, dot-kernel.ts's order). */
  computeInnerProductTable(y: Float32Array, yo: number, out: Float64Array): void {
    const { M, ksub, dsub } = this;
    const k = this.codebookKernel();
    for (let m = 0; m < M; m++) out.set(k.dots(y, yo + m * dsub, 1, m * ksub, (m + 1) * ksub), m * ksub);
  }

  /**
   * Inner products of the m-th sub-vectors of rows [i0, i0 + n) of x (rows of d) with the m-th codebook:
   * out[(i - i0) * ksub + c] (float64, view valid until the next call on this quantizer).
   */
  subInnerProducts(x: Float32Array, i0: number, n: number, m: number): Float64Array {
    const { ksub, dsub, d } = this;
    const sub = new Float32Array(n * dsub);
    for (let i = 0; i < n; i++) {
      const o = (i0 + i) * d + m * dsub;
      sub.set(x.subarray(o, o + dsub), i * dsub);
    }
    return this.codebookKernel().dots(sub, 0, n, m * ksub, (m + 1) * ksub);
  }
}

/**
 * Sum of table entries for `count` codes starting at codes[off]: dis[i] = sum_m table[m * 256 + code_i[m]].
 * The ADC inner loop of IndexPQ and IndexIVFPQ.
 */
export function adcScan(
  table: Float64Array,
  M: number,
  codes: Uint8Array,
  off: number,
  count: number,
  out: Float64Array,
): void {
  for (let i = 0; i < count; i++) {
    const co = off + i * M;
    let s = 0;
    for (let m = 0; m < M; m++) s += table[(m << 8) + codes[co + m]];
    out[i] = s;
  }
}
