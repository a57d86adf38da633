/**
 * k-smallest selection for one query, with faiss's tie rule: results are ordered by (distance, id)
 * lexicographically (faiss heaps use CMax::cmp2 since 1.7), so equal distances come out by ascending id.
 * A max-heap of size k keeps the current worst at the top; push is O(log k) and allocation-free.
 */
import { MISSING_DISTANCE } from './types.ts';

export class ResultHeap {
  readonly k: number;
  private readonly dis: Float64Array;
  private readonly ids: Float64Array;
  size = 0;

  constructor(k: number) {
    this.k = k;
    this.dis = new Float64Array(k);
    this.ids = new Float64Array(k);
  }

  reset(): void {
    this.size = 0;
  }

  /** Current admission threshold: a candidate must beat (worstDistance, worstId). Infinity while not full. */
  worstDistance(): number {
    return this.size < this.k ? Number.POSITIVE_INFINITY : this.dis[0];
  }

  private greater(i: number, j: number): boolean {
    const a = this.dis[i];
    const b = this.dis[j];
    return a > b || (a === b && this.ids[i] > this.ids[j]);
  }

  push(distance: number, id: number): void {
    const { dis, ids, k } = this;
    if (k === 0) return;
    if (this.size < k) {
      // Sift up.
      let i = this.size++;
      dis[i] = distance;
      ids[i] = id;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!this.greater(i, p)) break;
        this.swap(i, p);
        i = p;
      }
      return;
    }
    if (distance > dis[0] || (distance === dis[0] && id >= ids[0])) return;
    dis[0] = distance;
    ids[0] = id;
    // Sift down.
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= k) break;
      const r = l + 1;
      const c = r < k && this.greater(r, l) ? r : l;
      if (!this.greater(c, i)) break;
      this.swap(i, c);
      i = c;
    }
  }

  private swap(i: number, j: number): void {
    const { dis, ids } = this;
    const td = dis[i];
    dis[i] = dis[j];
    dis[j] = td;
    const ti = ids[i];
    ids[i] = ids[j];
    ids[j] = ti;
  }

  /**
   * Writes the k results ascending at outDis/outIds[offset..offset+k), filling missing slots with -1.
   * Allocation-free: heapsorts the entries in place (ascending by (distance, id), the same total order as the
   * admission rule, so the output equals a stable sort's), copies them out, then reverses them; a descending
   * array is a valid max-heap, so the heap keeps its contents and stays usable.
   */
  writeSorted(outDis: Float32Array | Float64Array, outIds: Float64Array, offset: number): void {
    const n = this.size;
    const { dis, ids } = this;
    // Heapsort: move the current maximum to the end, shrink, sift down.
    for (let end = n - 1; end > 0; end--) {
      this.swap(0, end);
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= end) break;
        const r = l + 1;
        const c = r < end && this.greater(r, l) ? r : l;
        if (!this.greater(c, i)) break;
        this.swap(i, c);
        i = c;
      }
    }
    for (let r = 0; r < n; r++) {
      outDis[offset + r] = dis[r];
      outIds[offset + r] = ids[r];
    }
    for (let r = n; r < this.k; r++) {
      outDis[offset + r] = MISSING_DISTANCE;
      outIds[offset + r] = -1;
    }
    // Ascending -> descending: a valid max-heap again.
    for (let a = 0, b = n - 1; a < b; a++, b--) this.swap(a, b);
  }
}
