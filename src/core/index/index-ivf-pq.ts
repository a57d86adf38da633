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
 *    shorter than 256, two lookups per code byte) instead of 256 x d multiply-adds: ~2.5x faster at nprobe 16.
 *    At nprobe = 1 term3 alone costs as much as the direct table, so the direct path is kept there (and the
 *    table is never built for nprobe-1-only use).
 *    Memory: nlist x M x 1 KiB (IVF1024,PQ8x8: 8 MiB; IVF4096,PQ8x8: 32 MiB; IVF4096,PQ64x8: 256 MiB), like
 *    faiss; skipped above faiss's precomputed_table_max_bytes (2 GiB). Dropped when the coarse centroids or
 *    the PQ codebook change (train, fromParts, pq.setCentroids), or when usePrecomputedTable is set to false.
 *    faiss's precomputed path sums in float32, so its distances differ from ours by float32 rounding either
 *    way; the float32 term1 is the only rounding ours adds over the direct path.
 */
import { IndexIVF, type IvfTrainOptions } from './index-ivf.ts';
import type { ListParts } from './invlists.ts';
import { subsampleRows } from './kmeans.ts';
import { adcScan, ProductQuantizer } from './product-quantizer.ts';
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
/** Lists shorter than this are scanned with two lookups per code byte instead of building the summed table. */
const FUSED_SCAN_MAX = 256;

export class IndexIVFPQ extends IndexIVF {
  readonly pq: ProductQuantizer;
  readonly byResidual = true;
  private readonly table: Float64Array;
  private readonly residual: Float32Array;
  private dis = new Float64Array(1024);
  private usePrecomputed: boolean;
  /** term1, nlist x M x 256 (null until needed / after invalidation). */
  private precomputed: Float32Array | null = null;
  /** Versions of the coarse centroids and PQ codebook the table was built from. */
  private precomputedCentroidsVersion = -1;
  private precomputedPqVersion = -1;
  /** term3 of the current query, M x 256. */
  private readonly term3: Float64Array;
  /** Whether the current query (beginQuery) uses the precomputed table. */
  private queryUsesTable = false;

  constructor(d: number, nlist: number, M: number, nbits = 8, opts: IndexIVFPQOptions = {}) {
    const pq = new ProductQuantizer(d, M, nbits);
    super(d, nlist, pq.codeSize);
    this.pq = pq;
    this.table = new Float64Array(M * 256);
    this.term3 = new Float64Array(M * 256);
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
    if (!v) this.precomputed = null;
  }

  /** Bytes currently held by the precomputed table (0 until the first search with nprobe > 1). */
  get precomputedTableBytes(): number {
    return this.precomputed ? this.precomputed.byteLength : 0;
  }

  protected override setCentroids(c: Float32Array): void {
    this.precomputed = null;
    super.setCentroids(c);
  }

  get codeSize(): number {
    return this.pq.codeSize;
  }

  /** Progress: the PQ training's sub-quantizers (after the coarse k-means iterations). */
  protected trainResidual(x: Float32Array, n: number, opts: IvfTrainOptions): void {
    this.precomputed = null;
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
   * The term1 table, built if missing or stale; null when disabled or over PRECOMPUTED_TABLE_MAX_BYTES.
   * term1[(l * M + m) * 256 + c] = ||p_mc||^2 + 2 <C_l,m, p_mc>, summed in float64 (j ascending), rounded once.
   */
  private precomputedTable(): Float32Array | null {
    if (!this.usePrecomputed) return null;
    const pqVersion = this.pq.version;
    if (
      this.precomputed !== null &&
      this.precomputedCentroidsVersion === this.centroidsVersion &&
      this.precomputedPqVersion === pqVersion
    ) {
      return this.precomputed;
    }
    this.precomputed = null;
    const { d, nlist } = this;
    const { M, ksub, dsub } = this.pq;
    if (nlist * M * ksub * 4 > PRECOMPUTED_TABLE_MAX_BYTES) return null;
    const cent = this.pq.centroids;
    const norms = new Float64Array(M * ksub);
    for (let mc = 0; mc < M * ksub; mc++) {
      let s = 0;
      for (let j = 0; j < dsub; j++) {
        const v = cent[mc * dsub + j];
        s += v * v;
      }
      norms[mc] = s;
    }
    const table = new Float32Array(nlist * M * ksub);
    const C = this.centroids;
    for (let l = 0; l < nlist; l++) {
      for (let m = 0; m < M; m++) {
        const co = l * d + m * dsub;
        const to = (l * M + m) * ksub;
        for (let c = 0; c < ksub; c++) {
          const po = (m * ksub + c) * dsub;
          let ip = 0;
          for (let j = 0; j < dsub; j++) ip += C[co + j] * cent[po + j];
          table[to + c] = norms[m * ksub + c] + 2 * ip;
        }
      }
    }
    this.precomputed = table;
    this.precomputedCentroidsVersion = this.centroidsVersion;
    this.precomputedPqVersion = pqVersion;
    return table;
  }

  /** Picks the path for this query; with the table, fills term3[m][c] = -2 <q_m, p_mc>. */
  protected override beginQuery(q: Float32Array, qo: number, nprobe: number): void {
    this.queryUsesTable = nprobe > 1 && this.precomputedTable() !== null;
    if (!this.queryUsesTable) return;
    const { M, ksub, dsub } = this.pq;
    const cent = this.pq.centroids;
    const t3 = this.term3;
    for (let m = 0; m < M; m++) {
      const qb = qo + m * dsub;
      for (let c = 0; c < ksub; c++) {
        const po = (m * ksub + c) * dsub;
        let ip = 0;
        for (let j = 0; j < dsub; j++) ip += q[qb + j] * cent[po + j];
        t3[m * ksub + c] = -2 * ip;
      }
    }
  }

  protected scanList(q: Float32Array, qo: number, list: number, coarseDis: number, heap: ResultHeap): void {
    const store = this.invlists.lists[list];
    const cnt = store.ntotal;
    const ids = store.ids;
    const codes = store.codes;
    const M = this.pq.M;
    const precomputed = this.queryUsesTable ? this.precomputed : null;
    if (precomputed !== null) {
      // d = ||q - C_l||^2 + sum_m (term1[l][m][c_m] + term3[m][c_m]); both variants below add the same
      // float64 values in the same order, so they give identical results.
      const t3 = this.term3;
      const base = list * M * 256;
      let worst = heap.worstDistance();
      if (cnt < FUSED_SCAN_MAX) {
        for (let i = 0; i < cnt; i++) {
          const co = i * M;
          let s = 0;
          for (let m = 0; m < M; m++) {
            const e = (m << 8) + codes[co + m];
            s += precomputed[base + e] + t3[e];
          }
          const v = coarseDis + s;
          if (v <= worst) {
            heap.push(v, ids[i]);
            worst = heap.worstDistance();
          }
        }
        return;
      }
      const table = this.table;
      for (let e = 0; e < M * 256; e++) table[e] = precomputed[base + e] + t3[e];
      if (this.dis.length < cnt) this.dis = new Float64Array(Math.max(cnt, this.dis.length * 2));
      const dis = this.dis;
      adcScan(table, M, codes, 0, cnt, dis);
      for (let i = 0; i < cnt; i++) {
        const v = coarseDis + dis[i];
        if (v <= worst) {
          heap.push(v, ids[i]);
          worst = heap.worstDistance();
        }
      }
      return;
    }
    const { d } = this;
    const r = this.residual;
    for (let j = 0; j < d; j++) r[j] = q[qo + j] - this.centroids[list * d + j];
    this.pq.computeDistanceTable(r, 0, this.table);
    if (this.dis.length < cnt) this.dis = new Float64Array(Math.max(cnt, this.dis.length * 2));
    const dis = this.dis;
    adcScan(this.table, M, codes, 0, cnt, dis);
    let worst = heap.worstDistance();
    for (let j = 0; j < cnt; j++) {
      if (dis[j] <= worst) {
        heap.push(dis[j], ids[j]);
        worst = heap.worstDistance();
      }
    }
  }

  /** C_list + PQdecode(PQ(x - C_list)) (method.md section 2). */
  activationTarget(x: Vectors, n: number): Float32Array {
    return this.reconstruct(asF32('x', x, n, this.d), n);
  }
}
