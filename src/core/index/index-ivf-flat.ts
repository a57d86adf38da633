/**
 * faiss::IndexIVFFlat (L2): vectors stored uncompressed in the list of their nearest centroid.
 *
 * Layouts: centroids nlist x d; invlists codes list_size x (4 * d) bytes = the float32 vectors.
 * decode/reconstruct follow faiss sa_decode (the stored vector itself). The activation target is the
 * coarse quantizer's q(x) = centroids[list]: pulling a feature towards its cell's centre is what keeps its
 * copies in the same list at nprobe = 1 (method.md section 4, "IVF1024").
 */
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

export class IndexIVFFlat extends IndexIVF {
  constructor(d: number, nlist: number) {
    super(d, nlist, 4 * d);
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

  /** centroids[argmin_l ||x - C_l||]. */
  activationTarget(xIn: Vectors, n: number): Float32Array {
    const x = asF32('x', xIn, n, this.d);
    const lists = this.assignLists(x, n);
    const out = new Float32Array(n * this.d);
    for (let i = 0; i < n; i++)
      out.set(this.centroids.subarray(lists[i] * this.d, (lists[i] + 1) * this.d), i * this.d);
    return out;
  }
}
