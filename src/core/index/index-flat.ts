/**
 * faiss::IndexFlatL2: stores the vectors as is; exact k-NN search with squared L2 distances.
 *
 * Layout: vectors ntotal x d float32 row-major (faiss IndexFlat::codes viewed as float), ids ntotal.
 * Ids: unlike faiss's bare IndexFlat (whose ids are row numbers that shift on remove_ids), every stored vector
 * keeps the id given at add() (default: ntotal at insertion), as faiss's IndexIDMap(IndexFlat) would.
 */
import { throwIfAborted } from '../errors.ts';
import { CodeStore } from './code-store.ts';
import { knnIntoHeaps } from './distances.ts';
import { ResultHeap } from './result-heap.ts';
import type { SearchOptions, SearchResult, TrainOptions, VectorIndex, Vectors } from './types.ts';
import { asF32, assertPositiveInt, toIds } from './util.ts';

/** Queries per block between abort checks. */
const QUERY_BLOCK = 256;

export class IndexFlat implements VectorIndex {
  readonly d: number;
  readonly isTrained = true;
  readonly codeSize: number;
  readonly saCodeSize: number;
  private readonly store: CodeStore;

  constructor(d: number) {
    assertPositiveInt('d', d);
    this.d = d;
    this.codeSize = 4 * d;
    this.saCodeSize = 4 * d;
    this.store = new CodeStore(4 * d);
  }

  /** From stored vectors (ntotal x d) and optional ids (default 0..ntotal-1). */
  static fromParts(parts: { d: number; vectors?: Float32Array; ids?: ArrayLike<number> | BigInt64Array }): IndexFlat {
    const index = new IndexFlat(parts.d);
    if (parts.vectors && parts.vectors.length > 0) {
      const n = parts.vectors.length / parts.d;
      index.add(parts.vectors, n, parts.ids);
    }
    return index;
  }

  get ntotal(): number {
    return this.store.ntotal;
  }

  /** ntotal x d row-major view (valid until the next add/remove). */
  get vectors(): Float32Array {
    return this.store.floatView();
  }

  get ids(): Float64Array {
    return this.store.ids;
  }

  train(_x: Vectors, _n: number, _opts?: TrainOptions): void {
    // Nothing to learn (faiss: is_trained is always true).
  }

  add(xIn: Vectors, n: number, ids?: ArrayLike<number> | BigInt64Array): void {
    const x = asF32('x', xIn, n, this.d);
    const idArr = ids ? toIds(ids, n) : Float64Array.from({ length: n }, (_, i) => this.ntotal + i);
    this.store.append(new Uint8Array(x.buffer, x.byteOffset, n * this.codeSize), idArr);
  }

  search(qIn: Vectors, n: number, k: number, opts: SearchOptions = {}): SearchResult {
    assertPositiveInt('k', k);
    const q = asF32('queries', qIn, n, this.d);
    const distances = new Float32Array(n * k);
    const ids = new Float64Array(n * k);
    const data = this.vectors;
    const heaps = Array.from({ length: Math.min(n, QUERY_BLOCK) }, () => new ResultHeap(k));
    for (let i0 = 0; i0 < n; i0 += QUERY_BLOCK) {
      throwIfAborted(opts.signal);
      const i1 = Math.min(n, i0 + QUERY_BLOCK);
      for (const h of heaps) h.reset();
      knnIntoHeaps(q.subarray(i0 * this.d, i1 * this.d), i1 - i0, data, this.ntotal, this.d, heaps, this.store.ids);
      for (let i = i0; i < i1; i++) heaps[i - i0].writeSorted(distances, ids, i * k);
      opts.onProgress?.(i1, n);
    }
    return { distances, ids };
  }

  remove(ids: ArrayLike<number> | BigInt64Array): number {
    return this.store.removeIds(new Set(toIds(ids, ids.length)));
  }

  /** Standalone code = the float32 bytes (faiss IndexFlat sa_encode). */
  encode(xIn: Vectors, n: number): Uint8Array {
    const x = asF32('x', xIn, n, this.d);
    return new Uint8Array(x.slice().buffer);
  }

  decode(codes: Uint8Array, n: number): Float32Array {
    return new Float32Array(codes.slice(0, n * this.codeSize).buffer);
  }

  /** Identity: a flat index has no quantisation (method.md: Flat gains nothing from activation). */
  reconstruct(xIn: Vectors, n: number): Float32Array {
    return asF32('x', xIn, n, this.d).slice();
  }

  activationTarget(x: Vectors, n: number): Float32Array {
    return this.reconstruct(x, n);
  }

  reset(): void {
    this.store.clear();
  }
}
