/**
 * faiss::IndexPreTransform: a chain of linear transforms (OPQ, PCA, random rotation) applied before a base
 * index. Training trains each untrained transform on the output of the previous ones, then the base index
 * (faiss IndexPreTransform::train). Decoding / activation targets go back through the chain with each
 * transform's reverseTransform (x = A^T (y - b)), which faiss also requires to be orthonormal.
 */
import { throwIfAborted } from '../errors.ts';
import type { LinearTransform } from './linear-transform.ts';
import type { SearchOptions, SearchResult, TrainOptions, VectorIndex, Vectors } from './types.ts';
import { asF32 } from './util.ts';

export class IndexPreTransform implements VectorIndex {
  readonly chain: readonly LinearTransform[];
  readonly index: VectorIndex;

  constructor(chain: readonly LinearTransform[], index: VectorIndex) {
    this.chain = chain;
    this.index = index;
  }

  /** The same as the constructor: the transforms and the base index are each built from their parts. */
  static fromParts(parts: { chain: readonly LinearTransform[]; index: VectorIndex }): IndexPreTransform {
    return new IndexPreTransform(parts.chain, parts.index);
  }

  get d(): number {
    return this.chain.length > 0 ? this.chain[0].dIn : this.index.d;
  }
  get isTrained(): boolean {
    return this.index.isTrained && this.chain.every((t) => t.isTrained);
  }
  get ntotal(): number {
    return this.index.ntotal;
  }
  get codeSize(): number {
    return this.index.codeSize;
  }
  get saCodeSize(): number {
    return this.index.saCodeSize;
  }

  /** Applies the whole chain (n x d -> n x index.d). */
  applyChain(xIn: Vectors, n: number): Float32Array {
    let x = asF32('x', xIn, n, this.d);
    for (const t of this.chain) x = t.apply(x, n);
    return x;
  }

  /** Reverses the whole chain (n x index.d -> n x d). */
  reverseChain(y: Float32Array, n: number): Float32Array {
    let x = y;
    for (let i = this.chain.length - 1; i >= 0; i--) x = this.chain[i].reverseTransform(x, n);
    return x;
  }

  /** Progress is forwarded to each step's own train (transforms first, then the index). */
  train(xIn: Vectors, n: number, opts: TrainOptions = {}): void {
    let x = asF32('x', xIn, n, this.d);
    for (const t of this.chain) {
      throwIfAborted(opts.signal);
      if (!t.isTrained) t.train(x, n, opts);
      x = t.apply(x, n);
    }
    throwIfAborted(opts.signal);
    if (!this.index.isTrained) this.index.train(x, n, opts);
  }

  add(x: Vectors, n: number, ids?: ArrayLike<number> | BigInt64Array): void {
    this.index.add(this.applyChain(x, n), n, ids);
  }

  search(q: Vectors, n: number, k: number, opts?: SearchOptions): SearchResult {
    return this.index.search(this.applyChain(q, n), n, k, opts);
  }

  remove(ids: ArrayLike<number> | BigInt64Array): number {
    return this.index.remove(ids);
  }

  encode(x: Vectors, n: number): Uint8Array {
    return this.index.encode(this.applyChain(x, n), n);
  }

  decode(codes: Uint8Array, n: number): Float32Array {
    return this.reverseChain(this.index.decode(codes, n), n);
  }

  reconstruct(x: Vectors, n: number): Float32Array {
    return this.decode(this.encode(x, n), n);
  }

  activationTarget(x: Vectors, n: number): Float32Array {
    return this.reverseChain(this.index.activationTarget(this.applyChain(x, n), n), n);
  }

  reset(): void {
    this.index.reset();
  }
}

/** The index behind a transform chain (OPQ, PCA...), where codes and lists live; the index itself otherwise. */
export function baseIndex(index: VectorIndex): VectorIndex {
  return index instanceof IndexPreTransform ? index.index : index;
}
