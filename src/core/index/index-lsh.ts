/**
 * faiss::IndexLSH: binary codes of nbits sign bits, Hamming search.
 *
 * Preprocessing (faiss apply_preprocess): with rotateData, xt = rrot.apply(x) where rrot is a
 * RandomRotationMatrix(d, nbits) init(5) (A nbits x d); otherwise xt = the first nbits components of x
 * (requires nbits <= d). With trainThresholds, xt -= thresholds (nbits per-dimension medians of the training
 * set, faiss: (x[n/2-1] + x[n/2]) / 2 for even n).
 * Code layout (faiss fvecs2bitvecs): ceil(nbits / 8) bytes; bit j is bit (j % 8) of byte j / 8 and is set iff
 * xt[j] >= 0.
 * Search: distances are Hamming distances (popcount of xor) as floats, ties by smaller id.
 * Decode (faiss sa_decode, = the activation target of method.md section 4): bit -> +1 / -1, + thresholds, then
 * rrot's transpose (A^T s) or zero padding to d.
 * Layouts exposed: rotation.A nbits x d (when rotateData), thresholds nbits, codes ntotal x codeSize, ids.
 */
import { FindableError, throwIfAborted } from '../errors.ts';
import { CodeStore } from './code-store.ts';
import type { LinearTransform } from './linear-transform.ts';
import { RandomRotationMatrix } from './random-rotation.ts';
import { ResultHeap } from './result-heap.ts';
import type { SearchOptions, SearchResult, TrainOptions, VectorIndex, Vectors } from './types.ts';
import { asF32, assertLength, assertPositiveInt, notTrained, toIds } from './util.ts';

const POPCOUNT = new Uint8Array(256);
for (let i = 1; i < 256; i++) POPCOUNT[i] = (i & 1) + POPCOUNT[i >> 1];

export interface LshParts {
  d: number;
  nbits: number;
  rotateData: boolean;
  trainThresholds: boolean;
  /** nbits x d, required when rotateData. */
  rotation?: Float32Array;
  /** nbits, required when trainThresholds. */
  thresholds?: Float32Array;
  codes?: Uint8Array;
  ids?: ArrayLike<number> | BigInt64Array;
}

export class IndexLSH implements VectorIndex {
  readonly d: number;
  readonly nbits: number;
  readonly rotateData: boolean;
  readonly trainThresholds: boolean;
  readonly codeSize: number;
  /** The random rotation (nbits x d) when rotateData. */
  readonly rotation: LinearTransform | null;
  /** nbits medians (zeros unless trainThresholds). */
  readonly thresholds: Float32Array;
  private readonly store: CodeStore;
  private trained: boolean;

  constructor(d: number, nbits: number, rotateData = false, trainThresholds = false) {
    assertPositiveInt('d', d);
    assertPositiveInt('nbits', nbits);
    if (!rotateData && nbits > d) {
      throw new FindableError('INVALID_ARGUMENT', `IndexLSH without rotation needs nbits (${nbits}) <= d (${d})`);
    }
    this.d = d;
    this.nbits = nbits;
    this.rotateData = rotateData;
    this.trainThresholds = trainThresholds;
    this.codeSize = (nbits + 7) >> 3;
    this.thresholds = new Float32Array(nbits);
    this.store = new CodeStore(this.codeSize);
    if (rotateData) {
      if (nbits > d) {
        throw new FindableError(
          'INVALID_ARGUMENT',
          `IndexLSH rotation with nbits (${nbits}) > d (${d}) is not supported`,
        );
      }
      const r = new RandomRotationMatrix(d, nbits);
      r.init(5);
      this.rotation = r;
    } else {
      this.rotation = null;
    }
    this.trained = !trainThresholds;
  }

  static fromParts(parts: LshParts): IndexLSH {
    const index = new IndexLSH(parts.d, parts.nbits, parts.rotateData, parts.trainThresholds);
    if (parts.rotateData) {
      if (!parts.rotation) throw new FindableError('INVALID_ARGUMENT', 'IndexLSH.fromParts: rotation is required');
      index.rotation?.setAb(parts.rotation);
    }
    if (parts.trainThresholds) {
      if (!parts.thresholds) throw new FindableError('INVALID_ARGUMENT', 'IndexLSH.fromParts: thresholds required');
      assertLength('thresholds', parts.thresholds, parts.nbits);
      index.thresholds.set(parts.thresholds);
    }
    index.trained = true;
    if (parts.codes && parts.codes.length > 0) index.addCodes(parts.codes, parts.ids);
    return index;
  }

  get isTrained(): boolean {
    return this.trained;
  }
  get ntotal(): number {
    return this.store.ntotal;
  }
  get saCodeSize(): number {
    return this.codeSize;
  }
  /** ntotal x codeSize view. */
  get codes(): Uint8Array {
    return this.store.codes;
  }
  get ids(): Float64Array {
    return this.store.ids;
  }

  /** xt (n x nbits) before sign extraction. */
  private preprocess(x: Float32Array, n: number, subtractThresholds: boolean): Float32Array {
    const { d, nbits } = this;
    let xt: Float32Array;
    if (this.rotation) {
      xt = this.rotation.apply(x, n);
    } else {
      xt = new Float32Array(n * nbits);
      for (let i = 0; i < n; i++) xt.set(x.subarray(i * d, i * d + nbits), i * nbits);
    }
    if (subtractThresholds && this.trainThresholds) {
      for (let i = 0; i < n; i++) for (let j = 0; j < nbits; j++) xt[i * nbits + j] -= this.thresholds[j];
    }
    return xt;
  }

  train(xIn: Vectors, n: number, _opts: TrainOptions = {}): void {
    if (this.trainThresholds) {
      const xt = this.preprocess(asF32('x', xIn, n, this.d), n, false);
      const col = new Float32Array(n);
      for (let j = 0; j < this.nbits; j++) {
        for (let i = 0; i < n; i++) col[i] = xt[i * this.nbits + j];
        col.sort();
        this.thresholds[j] = n % 2 === 1 ? col[n >> 1] : (col[(n >> 1) - 1] + col[n >> 1]) / 2;
      }
    }
    this.trained = true;
  }

  encode(xIn: Vectors, n: number): Uint8Array {
    if (!this.trained) throw notTrained('IndexLSH');
    const xt = this.preprocess(asF32('x', xIn, n, this.d), n, true);
    const { nbits, codeSize } = this;
    const out = new Uint8Array(n * codeSize);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < nbits; j++) {
        if (xt[i * nbits + j] >= 0) out[i * codeSize + (j >> 3)] |= 1 << (j & 7);
      }
    }
    return out;
  }

  decode(codes: Uint8Array, n: number): Float32Array {
    if (!this.trained) throw notTrained('IndexLSH');
    const { nbits, codeSize, d } = this;
    if (codes.length < n * codeSize) {
      throw new FindableError('SHAPE_MISMATCH', `LSH decode: expected ${n * codeSize} bytes, got ${codes.length}`);
    }
    const xt = new Float32Array(n * nbits);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < nbits; j++) {
        const bit = (codes[i * codeSize + (j >> 3)] >> (j & 7)) & 1;
        xt[i * nbits + j] = (bit ? 1 : -1) + (this.trainThresholds ? this.thresholds[j] : 0);
      }
    }
    if (this.rotation) return this.rotation.reverseTransform(xt, n);
    if (nbits === d) return xt;
    const out = new Float32Array(n * d);
    for (let i = 0; i < n; i++) out.set(xt.subarray(i * nbits, (i + 1) * nbits), i * d);
    return out;
  }

  reconstruct(x: Vectors, n: number): Float32Array {
    return this.decode(this.encode(x, n), n);
  }

  /** The sign code mapped to +-1 and back through the transpose (method.md section 4). */
  activationTarget(x: Vectors, n: number): Float32Array {
    return this.reconstruct(x, n);
  }

  add(x: Vectors, n: number, ids?: ArrayLike<number> | BigInt64Array): void {
    this.addCodes(this.encode(x, n), ids);
  }

  addCodes(codes: Uint8Array, ids?: ArrayLike<number> | BigInt64Array): void {
    const n = Math.floor(codes.length / this.codeSize);
    const idArr = ids ? toIds(ids, n) : Float64Array.from({ length: n }, (_, i) => this.ntotal + i);
    this.store.append(codes, idArr);
  }

  search(qIn: Vectors, n: number, k: number, opts: SearchOptions = {}): SearchResult {
    assertPositiveInt('k', k);
    const qc = this.encode(qIn, n);
    const cs = this.codeSize;
    const codes = this.store.codes;
    const stored = this.store.ids;
    const nt = this.ntotal;
    const distances = new Float32Array(n * k);
    const ids = new Float64Array(n * k);
    const heap = new ResultHeap(k);
    for (let i = 0; i < n; i++) {
      if ((i & 63) === 0) throwIfAborted(opts.signal);
      heap.reset();
      const qo = i * cs;
      for (let j = 0; j < nt; j++) {
        let h = 0;
        const co = j * cs;
        for (let b = 0; b < cs; b++) h += POPCOUNT[qc[qo + b] ^ codes[co + b]];
        if (h <= heap.worstDistance()) heap.push(h, stored[j]);
      }
      heap.writeSorted(distances, ids, i * k);
      opts.onProgress?.(i + 1, n);
    }
    return { distances, ids };
  }

  remove(ids: ArrayLike<number> | BigInt64Array): number {
    return this.store.removeIds(new Set(toIds(ids, ids.length)));
  }

  reset(): void {
    this.store.clear();
  }
}
