/**
 * faiss::IndexIVF (L2): a coarse quantizer (flat k-means centroids) splits the space into nlist cells; each
 * vector is stored in the inverted list of its nearest centroid; a search probes the nprobe nearest lists.
 * Subclasses (IndexIVFFlat, IndexIVFPQ) define what a list code is and how a list is scanned.
 *
 * Layouts (faiss IndexIVF.h / Level1Quantizer):
 *   centroids: nlist x d row-major float32 (the coarse quantizer IndexFlatL2's vectors)
 *   invlists: see invlists.ts; list of vector x = argmin_l ||x - centroids[l]||^2 (smallest l on ties)
 *   standalone code (sa_encode): list number little-endian on coarseCodeSize = bytes(nlist - 1) bytes, then
 *   the list code.
 * Coarse training: faiss Level1Quantizer::train_q1 = k-means with cp.niter = 10, seed 1234, max 256 points
 * per centroid.
 */
import { FindableError, throwIfAborted } from '../errors.ts';
import { assignNearest, knnIntoHeaps, normsSq } from './distances.ts';
import { DotKernel } from './dot-kernel.ts';
import { InvertedLists, type ListParts } from './invlists.ts';
import { kmeans } from './kmeans.ts';
import { ResultHeap } from './result-heap.ts';
import type { SearchOptions, SearchResult, TrainOptions, VectorIndex, Vectors } from './types.ts';
import { asF32, assertLength, assertPositiveInt, coarseCodeSize, notTrained, toIds } from './util.ts';

export interface IvfTrainOptions extends TrainOptions {
  /** Coarse k-means iterations (faiss IndexIVF cp.niter = 10). */
  niter?: number;
  seed?: number;
  /** IVF-PQ only: k-means iterations of each PQ sub-quantizer (faiss pq.cp.niter = 25). */
  pqNiter?: number;
}

/** Coarse search result: n x nprobe lists (nearest first, -1 when nlist < nprobe) and their squared L2 distances. */
export interface CoarseResult {
  lists: Int32Array;
  /** ||q - C_list||^2 in float64 (the coarse quantizer's own value; MISSING_DISTANCE for list -1). */
  distances: Float64Array;
}

export abstract class IndexIVF implements VectorIndex {
  readonly d: number;
  readonly nlist: number;
  /** nlist x d row-major. Filled by train() or fromParts. */
  readonly centroids: Float32Array;
  readonly invlists: InvertedLists;
  /** Default number of probed lists (faiss nprobe = 1). */
  nprobe = 1;
  protected centroidNorms: Float64Array;
  protected quantizerTrained = false;
  /** Incremented whenever the coarse centroids change (caches derived from them compare it). */
  protected centroidsVersion = 0;
  // Search work space, reused across calls (grown on demand): coarse heaps / results, the per-query heap.
  private coarseHeaps: ResultHeap[] = [];
  private coarseIdBuf = new Float64Array(0);
  private coarseListBuf = new Int32Array(0);
  private coarseDisBuf = new Float64Array(0);
  private queryHeap: ResultHeap | null = null;
  /** The centroids resident in a dot-product kernel (a copy: nlist x d float32), so a query copies only itself. */
  private kernel: DotKernel | null = null;
  private kernelVersion = -1;

  protected constructor(d: number, nlist: number, codeSize: number) {
    assertPositiveInt('d', d);
    assertPositiveInt('nlist', nlist);
    this.d = d;
    this.nlist = nlist;
    this.centroids = new Float32Array(nlist * d);
    this.centroidNorms = new Float64Array(nlist);
    this.invlists = new InvertedLists(nlist, codeSize);
  }

  abstract get isTrained(): boolean;
  /** Bytes per list code. */
  abstract get codeSize(): number;
  /** Codes (n x codeSize) for vectors x assigned to lists (faiss encode_vectors without list numbers). */
  protected abstract encodeListCodes(x: Float32Array, n: number, lists: Int32Array): Uint8Array;
  /** Reconstruction from list number + list code into out[outOff..outOff+d). */
  protected abstract decodeListCode(
    list: number,
    codes: Uint8Array,
    codeOff: number,
    out: Float32Array,
    outOff: number,
  ): void;
  /**
   * Pushes (distance, id) of every vector of list l for query q[qo..qo+d) into heap; coarseDis is
   * ||q - C_list||^2 as computed by the coarse search.
   */
  protected abstract scanList(q: Float32Array, qo: number, list: number, coarseDis: number, heap: ResultHeap): void;
  /** Called once per query before its lists are scanned (per-query tables); nothing by default. */
  protected beginQuery(_q: Float32Array, _qo: number, _nprobe: number): void {}
  /** Trains what comes after the coarse quantizer (residual PQ...). */
  protected abstract trainResidual(x: Float32Array, n: number, opts: IvfTrainOptions): void;
  /** The activation target q(x) (method.md section 2). */
  abstract activationTarget(x: Vectors, n: number): Float32Array;

  get ntotal(): number {
    return this.invlists.ntotal;
  }

  get saCodeSize(): number {
    return coarseCodeSize(this.nlist) + this.codeSize;
  }

  /** The coarse kernel, loaded with the current centroids. */
  protected coarseKernel(): DotKernel {
    if (this.kernel === null) this.kernel = new DotKernel();
    if (this.kernelVersion !== this.centroidsVersion) {
      this.kernel.setY(this.centroids, 0, this.nlist, this.d);
      this.kernelVersion = this.centroidsVersion;
    }
    return this.kernel;
  }

  /** Bytes of search work space beyond the index's own arrays (the coarse kernel's copy of the centroids). */
  get workBytes(): number {
    return this.kernel ? this.kernel.bytes : 0;
  }

  protected setCentroids(c: Float32Array): void {
    assertLength('IVF centroids', c, this.nlist * this.d);
    this.centroids.set(c);
    normsSq(this.centroids, this.nlist, this.d, this.centroidNorms);
    this.quantizerTrained = true;
    this.centroidsVersion++;
  }

  protected loadLists(lists: readonly ListParts[] | undefined): void {
    if (!lists) return;
    const inv = InvertedLists.fromParts(this.nlist, this.codeSize, lists);
    inv.lists.forEach((l, i) => {
      this.invlists.lists[i].append(l.codes, l.ids);
    });
  }

  /** Progress: coarse k-means iterations, then the residual training's own units. */
  train(xIn: Vectors, n: number, opts: IvfTrainOptions = {}): void {
    const x = asF32('x', xIn, n, this.d);
    if (!this.quantizerTrained) {
      const res = kmeans(x, n, this.d, this.nlist, {
        niter: opts.niter ?? 10,
        seed: opts.seed ?? 1234,
        signal: opts.signal,
        onProgress: opts.onProgress,
        onWarning: opts.onWarning,
      });
      this.setCentroids(res.centroids);
    }
    this.trainResidual(x, n, opts);
  }

  /** Nearest list of each vector. */
  assignLists(xIn: Vectors, n: number): Int32Array {
    if (!this.quantizerTrained) throw notTrained('IVF coarse quantizer');
    const x = asF32('x', xIn, n, this.d);
    const lists = new Int32Array(n);
    const k = this.coarseKernel();
    assignNearest(x, n, this.centroids, this.nlist, this.d, lists, new Float64Array(n), this.centroidNorms, k);
    return lists;
  }

  add(xIn: Vectors, n: number, ids?: ArrayLike<number> | BigInt64Array): void {
    if (!this.isTrained) throw notTrained(this.constructor.name);
    const x = asF32('x', xIn, n, this.d);
    const idArr = ids ? toIds(ids, n) : Float64Array.from({ length: n }, (_, i) => this.ntotal + i);
    const lists = this.assignLists(x, n);
    const codes = this.encodeListCodes(x, n, lists);
    const cs = this.codeSize;
    for (let i = 0; i < n; i++) this.invlists.lists[lists[i]].appendOne(codes, i * cs, idArr[i]);
  }

  /** Coarse search: the nprobe nearest lists of each query (n x nprobe), nearest first, with their distances. */
  searchLists(qIn: Vectors, n: number, nprobe: number): CoarseResult {
    if (!this.quantizerTrained) throw notTrained('IVF coarse quantizer');
    assertPositiveInt('nprobe', nprobe);
    const q = asF32('queries', qIn, n, this.d);
    const lists = new Int32Array(n * nprobe);
    const distances = new Float64Array(n * nprobe);
    this.coarseSearch(q, n, nprobe, lists, distances);
    return { lists, distances };
  }

  /** searchLists into caller-provided buffers (n x nprobe), through reused heaps. */
  protected coarseSearch(q: Float32Array, n: number, nprobe: number, lists: Int32Array, dis: Float64Array): void {
    let heaps = this.coarseHeaps;
    if (heaps.length < n || (n > 0 && heaps[0].k !== nprobe)) {
      const cnt = heaps.length > 0 && heaps[0].k === nprobe ? Math.max(n, heaps.length) : n;
      heaps = Array.from({ length: cnt }, () => new ResultHeap(nprobe));
      this.coarseHeaps = heaps;
    }
    for (let i = 0; i < n; i++) heaps[i].reset();
    knnIntoHeaps(q, n, this.centroids, this.nlist, this.d, heaps, undefined, this.centroidNorms, this.coarseKernel());
    if (this.coarseIdBuf.length < n * nprobe) this.coarseIdBuf = new Float64Array(n * nprobe);
    const ids = this.coarseIdBuf;
    for (let i = 0; i < n; i++) heaps[i].writeSorted(dis, ids, i * nprobe);
    for (let i = 0; i < n * nprobe; i++) lists[i] = ids[i];
  }

  /** Progress units: queries. */
  search(qIn: Vectors, n: number, k: number, opts: SearchOptions = {}): SearchResult {
    if (!this.isTrained) throw notTrained(this.constructor.name);
    assertPositiveInt('k', k);
    const nprobe = Math.min(this.nlist, opts.nprobe ?? this.nprobe);
    assertPositiveInt('nprobe', nprobe);
    const q = asF32('queries', qIn, n, this.d);
    const distances = new Float32Array(n * k);
    const ids = new Float64Array(n * k);
    let heap = this.queryHeap;
    if (heap === null || heap.k !== k) {
      heap = new ResultHeap(k);
      this.queryHeap = heap;
    }
    const BLOCK = 64;
    const need = Math.min(n, BLOCK) * nprobe;
    if (this.coarseListBuf.length < need) {
      this.coarseListBuf = new Int32Array(need);
      this.coarseDisBuf = new Float64Array(need);
    }
    // Local references: a search started from onProgress may replace the instance's buffers.
    const lists = this.coarseListBuf;
    const coarseDis = this.coarseDisBuf;
    const { d, invlists } = this;
    for (let i0 = 0; i0 < n; i0 += BLOCK) {
      throwIfAborted(opts.signal);
      const i1 = Math.min(n, i0 + BLOCK);
      this.coarseSearch(q.subarray(i0 * d, i1 * d), i1 - i0, nprobe, lists, coarseDis);
      for (let i = i0; i < i1; i++) {
        heap.reset();
        this.beginQuery(q, i * d, nprobe);
        const po = (i - i0) * nprobe;
        for (let p = 0; p < nprobe; p++) {
          const l = lists[po + p];
          if (l < 0 || invlists.listSize(l) === 0) continue;
          this.scanList(q, i * d, l, coarseDis[po + p], heap);
        }
        heap.writeSorted(distances, ids, i * k);
      }
      opts.onProgress?.(i1, n);
    }
    return { distances, ids };
  }

  remove(ids: ArrayLike<number> | BigInt64Array): number {
    return this.invlists.removeIds(new Set(toIds(ids, ids.length)));
  }

  /** faiss sa_encode: list number (little-endian) + list code. */
  encode(xIn: Vectors, n: number): Uint8Array {
    if (!this.isTrained) throw notTrained(this.constructor.name);
    const x = asF32('x', xIn, n, this.d);
    const lists = this.assignLists(x, n);
    const codes = this.encodeListCodes(x, n, lists);
    const ccs = coarseCodeSize(this.nlist);
    const cs = this.codeSize;
    const out = new Uint8Array(n * (ccs + cs));
    for (let i = 0; i < n; i++) {
      let l = lists[i];
      for (let b = 0; b < ccs; b++) {
        out[i * (ccs + cs) + b] = l & 255;
        l = Math.floor(l / 256);
      }
      out.set(codes.subarray(i * cs, (i + 1) * cs), i * (ccs + cs) + ccs);
    }
    return out;
  }

  /** faiss sa_decode. */
  decode(codes: Uint8Array, n: number): Float32Array {
    if (!this.isTrained) throw notTrained(this.constructor.name);
    const ccs = coarseCodeSize(this.nlist);
    const stride = ccs + this.codeSize;
    if (codes.length < n * stride) {
      throw new FindableError('SHAPE_MISMATCH', `IVF decode: expected ${n * stride} bytes, got ${codes.length}`);
    }
    const out = new Float32Array(n * this.d);
    for (let i = 0; i < n; i++) {
      let l = 0;
      for (let b = ccs - 1; b >= 0; b--) l = l * 256 + codes[i * stride + b];
      if (l >= this.nlist) throw new FindableError('INVALID_ARGUMENT', `IVF decode: list ${l} >= nlist ${this.nlist}`);
      this.decodeListCode(l, codes, i * stride + ccs, out, i * this.d);
    }
    return out;
  }

  reconstruct(x: Vectors, n: number): Float32Array {
    return this.decode(this.encode(x, n), n);
  }

  reset(): void {
    this.invlists.clear();
  }
}
