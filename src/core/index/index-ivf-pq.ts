/**
 * faiss::IndexIVFPQ with by_residual = true (L2): list code = PQ(x - centroids[list]) (M bytes).
 * This is the paper's headline index ("IVF4096,PQ8x8"); its reconstruction C_list + PQdecode(code) is the
 * activation target (method.md section 2).
 *
 * Layouts: centroids nlist x d; pq.centroids M x 256 x dsub; invlists codes list_size x M bytes.
 * Training (faiss IndexIVFPQ::train_residual): coarse k-means (index-ivf.ts), then the training set is
 * subsampled to 256 * 256 = 65536 vectors with rand_perm(n, 1234), assigned to lists, and the PQ is trained
 * on the residuals.
 * Search: for each probed list l, an ADC table of the query residual r = q - C_l is computed and every code of
 * the list is scored sum_m table[m][code_m] = ||q - C_l - PQdecode(code)||^2 exactly (faiss's
 * precomputed-table path computes the same quantity with a different float32 rounding).
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
}

export class IndexIVFPQ extends IndexIVF {
  readonly pq: ProductQuantizer;
  readonly byResidual = true;
  private readonly table: Float64Array;
  private readonly residual: Float32Array;
  private dis = new Float64Array(1024);

  constructor(d: number, nlist: number, M: number, nbits = 8) {
    const pq = new ProductQuantizer(d, M, nbits);
    super(d, nlist, pq.codeSize);
    this.pq = pq;
    this.table = new Float64Array(M * 256);
    this.residual = new Float32Array(d);
  }

  static fromParts(parts: IvfPqParts): IndexIVFPQ {
    const index = new IndexIVFPQ(parts.d, parts.nlist, parts.M);
    index.setCentroids(parts.centroids);
    index.pq.setCentroids(parts.pqCentroids);
    index.loadLists(parts.lists);
    if (parts.nprobe !== undefined) index.nprobe = parts.nprobe;
    return index;
  }

  get isTrained(): boolean {
    return this.quantizerTrained && this.pq.isTrained;
  }

  get codeSize(): number {
    return this.pq.codeSize;
  }

  /** Progress: the PQ training's sub-quantizers (after the coarse k-means iterations). */
  protected trainResidual(x: Float32Array, n: number, opts: IvfTrainOptions): void {
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

  protected scanList(q: Float32Array, qo: number, list: number, heap: ResultHeap): void {
    const { d } = this;
    const r = this.residual;
    for (let j = 0; j < d; j++) r[j] = q[qo + j] - this.centroids[list * d + j];
    this.pq.computeDistanceTable(r, 0, this.table);
    const store = this.invlists.lists[list];
    const cnt = store.ntotal;
    if (this.dis.length < cnt) this.dis = new Float64Array(Math.max(cnt, this.dis.length * 2));
    adcScan(this.table, this.pq.M, store.codes, 0, cnt, this.dis);
    const ids = store.ids;
    const dis = this.dis;
    for (let j = 0; j < cnt; j++) if (dis[j] <= heap.worstDistance()) heap.push(dis[j], ids[j]);
  }

  /** C_list + PQdecode(PQ(x - C_list)) (method.md section 2). */
  activationTarget(x: Vectors, n: number): Float32Array {
    return this.reconstruct(asF32('x', x, n, this.d), n);
  }
}
