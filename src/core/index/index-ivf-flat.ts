/**
 * faiss::IndexIVFFlat (L2): vectors stored uncompressed in the list of their nearest centroid.
 *
 * Layouts: centroids nlist x d; invlists codes list_size x (4 * d) bytes = the float32 vectors.
 * decode/reconstruct follow faiss sa_decode (the stored vector itself). The activation target lies on the
 * segment from x to its coarse centroid: t = x + targetPull (C_list - x). Pulling a feature towards its
 * cell's centre is what keeps its copies in the same list at nprobe = 1 (method.md section 4, "IVF1024").
 * The paper's target is the centroid itself (targetPull = 1); but the list stores exact features, so a copy
 * pulled all the way to the centre also comes closer to every other vector of its list, and with extractor
 * 2.0.0 identity R@1 fell to 0.66. Three quarters of the way keeps it at 1.00 and helps edited copies most
 * (sweep in docs/results.md).
 */
import { FindableError } from '../errors.ts';
import { IndexIVF } from './index-ivf.ts';
import type { ListParts } from './invlists.ts';
import type { ResultHeap } from './result-heap.ts';
import type { Vectors } from './types.ts';
import { asF32 } from './util.ts';

export interface IvfFlatParts {
  d: number;
  nlist: number;
  /** nlist x d. */
  centroids: Float32Array;
  /** Optional stored vectors per list: codes = float32 bytes (list_size x 4d), ids list_size. */
  lists?: readonly ListParts[];
  nprobe?: number;
}

/** Default share of the way from x to its centroid for the activation target (1 = the paper's centroid). */
export const IVF_FLAT_TARGET_PULL = 0.75;

export class IndexIVFFlat extends IndexIVF {
  private pull = IVF_FLAT_TARGET_PULL;

  constructor(d: number, nlist: number) {
    super(d, nlist, 4 * d);
  }

  /** Share of the way from x to its list's centroid that activationTarget goes, in (0, 1]. */
  get targetPull(): number {
    return this.pull;
  }

  set targetPull(value: number) {
    if (!(value > 0 && value <= 1)) {
      throw new FindableError('INVALID_ARGUMENT', `The IVF-Flat target pull must be in (0, 1], got ${value}.`);
    }
    this.pull = value;
  }

  static fromParts(parts: IvfFlatParts): IndexIVFFlat {
    const index = new IndexIVFFlat(parts.d, parts.nlist);
    index.setCentroids(parts.centroids);
    index.loadLists(parts.lists);
    if (parts.nprobe !== undefined) index.nprobe = parts.nprobe;
    return index;
  }

  get isTrained(): boolean {
    return this.quantizerTrained;
  }

  get codeSize(): number {
    return 4 * this.d;
  }

  protected trainResidual(): void {
    // Nothing beyond the coarse quantizer.
  }

  protected encodeListCodes(x: Float32Array, n: number): Uint8Array {
    return new Uint8Array(x.slice(0, n * this.d).buffer);
  }

  protected decodeListCode(_list: number, codes: Uint8Array, codeOff: number, out: Float32Array, outOff: number): void {
    // Copy through a byte view: codeOff may not be 4-byte aligned (after the list number bytes).
    new Uint8Array(out.buffer, out.byteOffset + outOff * 4, this.codeSize).set(
      codes.subarray(codeOff, codeOff + this.codeSize),
    );
  }

  protected scanList(q: Float32Array, qo: number, list: number, _coarseDis: number, heap: ResultHeap): void {
    const { d } = this;
    const store = this.invlists.lists[list];
    const v = store.floatView();
    const ids = store.ids;
    const cnt = store.ntotal;
    for (let i = 0; i < cnt; i++) {
      let s = 0;
      const o = i * d;
      for (let j = 0; j < d; j++) {
        const t = q[qo + j] - v[o + j];
        s += t * t;
      }
      if (s <= heap.worstDistance()) heap.push(s, ids[i]);
    }
  }

  /** x + targetPull (C_l - x), l = argmin_l ||x - C_l||. */
  activationTarget(xIn: Vectors, n: number): Float32Array {
    const { d, pull } = this;
    const x = asF32('x', xIn, n, d);
    const lists = this.assignLists(x, n);
    const out = new Float32Array(n * d);
    for (let i = 0; i < n; i++) {
      const c = lists[i] * d;
      for (let j = 0; j < d; j++) out[i * d + j] = x[i * d + j] + pull * (this.centroids[c + j] - x[i * d + j]);
    }
    return out;
  }
}
