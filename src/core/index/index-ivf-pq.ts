/**
 * faiss::IndexIVFPQ with by_residual = true (L2): list code = PQ(x - centroids[list]) (M bytes).
 * This is the paper's headline index ("IVF4096,PQ8x8"); its reconstruction C_list + PQdecode(code) is the
 * activation target (method.md section 2).
 *
 * Layouts: centroids nlist x d; pq.centroids M x 256 x dsub; invlists codes list_size x M bytes.
 * Training (faiss IndexIVFPQ::train_residual): coarse k-means (index-ivf.ts), then the training set is
 * subsampled to 256 * 256 = 65536 vectors with rand_perm(n, 1234), assigned to lists, and the PQ is trained
 * on the residuals.
 * Search computes d(q, C_l + p(code)) = ||q - C_l - PQdecode(code)||^2 for every code of each probed list l,
 * in one of two ways (both float64 sums, fixed order; ids agree, distances within ~1e-7 relative):
 *  - direct (nprobe = 1, or usePrecomputedTable = false): an ADC table of the query residual r = q - C_l,
 *    table[m][c] = ||r_m - p_mc||^2 (256 x d multiply-adds per probed list), then sum_m table[m][code_m].
 *  - precomputed table (faiss use_precomputed_table = 1, the default for nprobe > 1):
 *      d = ||q - C_l||^2 + sum_m ( term1[l][m][c_m] + term3[m][c_m] )
 *      term1[l][m][c] = ||p_mc||^2 + 2 <C_l,m, p_mc>   nlist x M x 256 float32, built lazily (float64, rounded once)
 *      term3[m][c]    = -2 <q_m, p_mc>                 M x 256 float64, once per query
 *    where ||q - C_l||^2 is the coarse search's distance. Per list this costs M x 256 adds (or, for lists
 *    shorter than 256, two lookups per code byte) instead of 256 x d multiply-adds.
 *    The direct path is kept at nprobe = 1 so that the table is never built for nprobe-1-only use (memory).
 *    Memory: nlist x M x 1 KiB (IVF1024,PQ8x8: 8 MiB; IVF4096,PQ8x8: 32 MiB; IVF4096,PQ64x8: 256 MiB), like
 *    faiss; skipped above faiss's precomputed_table_max_bytes (2 GiB). Rebuilt when the coarse centroids or
 *    the PQ codebook change (train, fromParts, pq.setCentroids); freed when usePrecomputedTable is set false.
 *    faiss's precomputed path sums in float32, so its distances differ from ours by float32 rounding either
 *    way; the float32 term1 is the only rounding ours adds over the direct path.
 * The multiply-adds run in dot-kernel.ts and the code scans in adc-kernel.ts (WebAssembly SIMD, or JS loops
 * giving the same values; ~3x faster search than the plain-JS loops at IVF1024,PQ8x8, nprobe 16). The index
 * holds an AdcKernel, whose linear memory also holds term1, and (IndexIVF) a copy of the centroids in a
 * DotKernel: workBytes counts both.
 */

import { AdcKernel } from './adc-kernel.ts';
import { normsSq } from './distances.ts';
import { IndexIVF, type IvfTrainOptions } from './index-ivf.ts';
import type { ListParts } from './invlists.ts';
import { subsampleRows } from './kmeans.ts';
import { ProductQuantizer } from './product-quantizer.ts';
import type { ResultHeap } from './result-heap.ts';
import type { Vectors } from './types.ts';
import { asF32 } from './util.ts';

export interface IvfPqParts {
  d: number;
  nlist: number;
  M: number;
  /** nlist x d. */
  centroids: Float32Array;
  /** M x 256 x (d / M). */
  pqCentroids: Float32Array;
  /** Optional stored vectors, one entry per list: codes list_size x M, ids list_size. */
  lists?: readonly ListParts[];
  nprobe?: number;
  /** See IndexIVFPQOptions.usePrecomputedTable (default true). */
  usePrecomputedTable?: boolean;
}

export interface IndexIVFPQOptions {
  /**
   * Use the precomputed term1 table for searches with nprobe > 1 (faiss use_precomputed_table = 1; default
   * true). It costs nlist x M x 1 KiB (32 MiB at IVF4096,PQ8x8), allocated on the first such search; set false
   * where memory matters more than nprobe > 1 latency (a browser tab). Can be changed later through the
   * property; setting it false frees the table.
   */
  usePrecomputedTable?: boolean;
}

/** faiss IndexIVFPQ precomputed_table_max_bytes: above this the table is not built (direct path). */
const PRECOMPUTED_TABLE_MAX_BYTES = 2 ** 31;

export class IndexIVFPQ extends IndexIVF {
  readonly pq: ProductQuantizer;
  readonly byResidual = true;
  private readonly residual: Float32Array;
  private usePrecomputed: boolean;
  /** Tables and scan work space; its memory also holds term1 once built (null until the first search). */
  private adc: AdcKernel | null = null;
  /** Whether adc holds a valid term1 (nlist x M x 256). */
  private precomputed = false;
  /** Versions of the coarse centroids and PQ codebook the table was built from. */
  private precomputedCentroidsVersion = -1;
  private precomputedPqVersion = -1;
  /** Whether the current query (beginQuery) uses the precomputed table. */
  private queryUsesTable = false;

  constructor(d: number, nlist: number, M: number, nbits = 8, opts: IndexIVFPQOptions = {}) {
    const pq = new ProductQuantizer(d, M, nbits);
    super(d, nlist, pq.codeSize);
    this.pq = pq;
    this.residual = new Float32Array(d);
    this.usePrecomputed = opts.usePrecomputedTable ?? true;
  }

  static fromParts(parts: IvfPqParts): IndexIVFPQ {
    const index = new IndexIVFPQ(parts.d, parts.nlist, parts.M, 8, { usePrecomputedTable: parts.usePrecomputedTable });
    index.setCentroids(parts.centroids);
    index.pq.setCentroids(parts.pqCentroids);
    index.loadLists(parts.lists);
    if (parts.nprobe !== undefined) index.nprobe = parts.nprobe;
    return index;
  }

  get isTrained(): boolean {
    return this.quantizerTrained && this.pq.isTrained;
  }

  /** Whether searches with nprobe > 1 use the precomputed table (IndexIVFPQOptions). false frees it. */
  get usePrecomputedTable(): boolean {
    return this.usePrecomputed;
  }

  set usePrecomputedTable(v: boolean) {
    this.usePrecomputed = v;
    // A wasm memory cannot shrink: drop the kernel (and its term1) to free the table.
    if (!v && this.precomputed) this.dropTable();
  }

  /** Bytes currently held by the precomputed table (0 until the first search with nprobe > 1). */
  get precomputedTableBytes(): number {
    return this.precomputed ? this.nlist * this.pq.M * this.pq.ksub * 4 : 0;
  }

  /** Search work space: the coarse, codebook and ADC kernels (the last holds the precomputed table). */
  override get workBytes(): number {
    return super.workBytes + this.pq.workBytes + (this.adc ? this.adc.bytes : 0);
  }

  private dropTable(): void {
    this.precomputed = false;
    this.adc = null;
  }

  private adcKernel(): AdcKernel {
    if (this.adc === null) this.adc = new AdcKernel(this.pq.M);
    return this.adc;
  }

  protected override setCentroids(c: Float32Array): void {
    this.precomputed = false;
    super.setCentroids(c);
  }

  get codeSize(): number {
    return this.pq.codeSize;
  }

  /** Progress: the PQ training's sub-quantizers (after the coarse k-means iterations). */
  protected trainResidual(x: Float32Array, n: number, opts: IvfTrainOptions): void {
    this.precomputed = false;
    const { d } = this;
    const nmax = 256 * this.pq.ksub;
    const xs = subsampleRows(x, n, d, nmax, opts.seed ?? 1234);
    const ns = Math.min(n, nmax);
    if (ns < n) opts.onWarning?.(`IVFPQ: PQ training on a random subset of ${ns} of ${n} vectors`);
    const res = this.residuals(xs, ns, this.assignLists(xs, ns));
    this.pq.train(res, ns, {
      signal: opts.signal,
      onProgress: opts.onProgress,
      onWarning: opts.onWarning,
      seed: opts.seed,
      niter: opts.pqNiter,
    });
  }

  /** x - centroids[lists[i]] for each row. */
  residuals(x: Float32Array, n: number, lists: Int32Array): Float32Array {
    const { d } = this;
    const out = new Float32Array(n * d);
    for (let i = 0; i < n; i++) {
      const co = lists[i] * d;
      for (let j = 0; j < d; j++) out[i * d + j] = x[i * d + j] - this.centroids[co + j];
    }
    return out;
  }

  protected encodeListCodes(x: Float32Array, n: number, lists: Int32Array): Uint8Array {
    return this.pq.computeCodes(this.residuals(x, n, lists), n);
  }

  protected decodeListCode(list: number, codes: Uint8Array, codeOff: number, out: Float32Array, outOff: number): void {
    const { d } = this;
    const view = out.subarray(outOff, outOff + d);
    this.pq.decode(codes, 1, view, codeOff);
    for (let j = 0; j < d; j++) view[j] += this.centroids[list * d + j];
  }

  /**
   * Makes sure adc holds term1 for the current centroids and codebook; false when disabled or over
   * PRECOMPUTED_TABLE_MAX_BYTES. term1[(l * M + m) * 256 + c] = ||p_mc||^2 + 2 <C_l,m, p_mc>, summed in float64,
   * rounded once.
   */
  private precomputedTable(): boolean {
    if (!this.usePrecomputed) return false;
    const pqVersion = this.pq.version;
    if (
      this.precomputed &&
      this.precomputedCentroidsVersion === this.centroidsVersion &&
      this.precomputedPqVersion === pqVersion
    ) {
      return true;
    }
    this.precomputed = false;
    const { nlist } = this;
    const { M, ksub, dsub } = this.pq;
    if (nlist * M * ksub * 4 > PRECOMPUTED_TABLE_MAX_BYTES) return false;
    const cent = this.pq.centroids;
    const norms = normsSq(cent, M * ksub, dsub);
    const table = this.adcKernel().term1(nlist);
    // <C_l,m, p_mc> for blocks of lists (bounded kernel output: 256 x 256 float64).
    const B = 256;
    for (let m = 0; m < M; m++) {
      for (let l0 = 0; l0 < nlist; l0 += B) {
        const nb = Math.min(B, nlist - l0);
        const ip = this.pq.subInnerProducts(this.centroids, l0, nb, m);
        for (let l = l0; l < l0 + nb; l++) {
          const to = (l * M + m) * ksub;
          const io = (l - l0) * ksub;
          for (let c = 0; c < ksub; c++) table[to + c] = norms[m * ksub + c] + 2 * ip[io + c];
        }
      }
    }
    this.precomputed = true;
    this.precomputedCentroidsVersion = this.centroidsVersion;
    this.precomputedPqVersion = pqVersion;
    return true;
  }

  /** Picks the path for this query; with the table, fills term3[m][c] = -2 <q_m, p_mc>. */
  protected override beginQuery(q: Float32Array, qo: number, nprobe: number): void {
    this.queryUsesTable = nprobe > 1 && this.precomputedTable();
    if (!this.queryUsesTable) return;
    const t3 = this.adcKernel().term3();
    this.pq.computeInnerProductTable(q, qo, t3);
    for (let e = 0; e < t3.length; e++) t3[e] *= -2;
  }

  protected scanList(q: Float32Array, qo: number, list: number, coarseDis: number, heap: ResultHeap): void {
    const store = this.invlists.lists[list];
    const cnt = store.ntotal;
    const ids = store.idBuffer;
    const adc = this.adcKernel();
    let dis: Float64Array;
    let base = 0;
    if (this.queryUsesTable) {
      // d = ||q - C_l||^2 + sum_m (term1[l][m][c_m] + term3[m][c_m]).
      dis = adc.scanPrecomputed(list, store.codeBuffer, cnt);
      base = coarseDis;
    } else {
      const { d } = this;
      const r = this.residual;
      for (let j = 0; j < d; j++) r[j] = q[qo + j] - this.centroids[list * d + j];
      this.pq.computeDistanceTable(r, 0, adc.table());
      dis = adc.scanTable(store.codeBuffer, cnt);
    }
    let worst = heap.worstDistance();
    for (let i = 0; i < cnt; i++) {
      const v = base + dis[i];
      if (v <= worst) {
        heap.push(v, ids[i]);
        worst = heap.worstDistance();
      }
    }
  }

  /** C_list + PQdecode(PQ(x - C_list)) (method.md section 2). */
  activationTarget(x: Vectors, n: number): Float32Array {
    return this.reconstruct(asF32('x', x, n, this.d), n);
  }
}
