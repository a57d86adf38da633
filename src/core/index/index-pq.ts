/**
 * faiss::IndexPQ (L2, search_type ST_PQ): every vector stored as its M-byte PQ code; search by asymmetric
 * distance computation (exact query vs. reconstructed database vector, via per-query tables).
 *
 * Layouts: pq.centroids M x 256 x dsub (see product-quantizer.ts); codes ntotal x M bytes; ids ntotal.
 * Ids are kept per vector (faiss IndexPQ numbers rows; ours behave like IndexIDMap, see index-flat.ts).
 */
import { throwIfAborted } from '../errors.ts';
import { CodeStore } from './code-store.ts';
import { adcScan, type PqTrainOptions, ProductQuantizer } from './product-quantizer.ts';
import { ResultHeap } from './result-heap.ts';
import type { SearchOptions, SearchResult, VectorIndex, Vectors } from './types.ts';
import { asF32, assertPositiveInt, notTrained, toIds } from './util.ts';

export class IndexPQ implements VectorIndex {
  readonly d: number;
  readonly pq: ProductQuantizer;
  private readonly store: CodeStore;

  constructor(d: number, M: number, nbits = 8) {
    this.d = d;
    this.pq = new ProductQuantizer(d, M, nbits);
    this.store = new CodeStore(this.pq.codeSize);
  }

  /** From faiss's PQ centroids (M x 256 x dsub) and optionally stored codes (ntotal x M) and ids. */
  static fromParts(parts: {
    d: number;
    M: number;
    pqCentroids: Float32Array;
    codes?: Uint8Array;
    ids?: ArrayLike<number> | BigInt64Array;
  }): IndexPQ {
    const index = new IndexPQ(parts.d, parts.M);
    index.pq.setCentroids(parts.pqCentroids);
    if (parts.codes && parts.codes.length > 0) index.addCodes(parts.codes, parts.ids);
    return index;
  }

  get isTrained(): boolean {
    return this.pq.isTrained;
  }
  get ntotal(): number {
    return this.store.ntotal;
  }
  get codeSize(): number {
    return this.pq.codeSize;
  }
  get saCodeSize(): number {
    return this.pq.codeSize;
  }
  /** ntotal x M view. */
  get codes(): Uint8Array {
    return this.store.codes;
  }
  get ids(): Float64Array {
    return this.store.ids;
  }

  train(x: Vectors, n: number, opts: PqTrainOptions = {}): void {
    this.pq.train(x, n, opts);
  }

  add(x: Vectors, n: number, ids?: ArrayLike<number> | BigInt64Array): void {
    if (!this.isTrained) throw notTrained('IndexPQ');
    this.addCodes(this.pq.computeCodes(x, n), ids);
  }

  /** Appends already computed codes (ntotal x M). */
  addCodes(codes: Uint8Array, ids?: ArrayLike<number> | BigInt64Array): void {
    const n = Math.floor(codes.length / this.codeSize);
    const idArr = ids ? toIds(ids, n) : Float64Array.from({ length: n }, (_, i) => this.ntotal + i);
    this.store.append(codes, idArr);
  }

  search(qIn: Vectors, n: number, k: number, opts: SearchOptions = {}): SearchResult {
    if (!this.isTrained) throw notTrained('IndexPQ');
    assertPositiveInt('k', k);
    const q = asF32('queries', qIn, n, this.d);
    const distances = new Float32Array(n * k);
    const ids = new Float64Array(n * k);
    const M = this.pq.M;
    const table = new Float64Array(M * 256);
    const codes = this.store.codes;
    const idsStored = this.store.ids;
    const nt = this.ntotal;
    const CHUNK = 1024;
    const dis = new Float64Array(CHUNK);
    const heap = new ResultHeap(k);
    for (let i = 0; i < n; i++) {
      if ((i & 63) === 0) throwIfAborted(opts.signal);
      heap.reset();
      this.pq.computeDistanceTable(q, i * this.d, table);
      for (let j0 = 0; j0 < nt; j0 += CHUNK) {
        const cnt = Math.min(CHUNK, nt - j0);
        adcScan(table, M, codes, j0 * M, cnt, dis);
        for (let j = 0; j < cnt; j++) if (dis[j] <= heap.worstDistance()) heap.push(dis[j], idsStored[j0 + j]);
      }
      heap.writeSorted(distances, ids, i * k);
      opts.onProgress?.(i + 1, n);
    }
    return { distances, ids };
  }

  remove(ids: ArrayLike<number> | BigInt64Array): number {
    return this.store.removeIds(new Set(toIds(ids, ids.length)));
  }

  encode(x: Vectors, n: number): Uint8Array {
    return this.pq.computeCodes(x, n);
  }

  decode(codes: Uint8Array, n: number): Float32Array {
    return this.pq.decode(codes, n);
  }

  reconstruct(x: Vectors, n: number): Float32Array {
    return this.decode(this.encode(x, n), n);
  }

  activationTarget(x: Vectors, n: number): Float32Array {
    return this.reconstruct(x, n);
  }

  reset(): void {
    this.store.clear();
  }
}
