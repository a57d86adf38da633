/**
 * A growable array of fixed-size codes with their ids: the storage of flat-code indexes (IndexFlat, IndexPQ,
 * IndexLSH) and of each IVF inverted list.
 *
 * Layout: codes ntotal x codeSize bytes row-major (faiss InvertedLists / IndexFlatCodes::codes);
 * ids ntotal float64 integers (faiss idx_t). The backing buffers are over-allocated (doubling); `codes` and
 * `ids` return views of exactly ntotal entries, valid until the next append/remove.
 * IndexFlat stores float32 vectors as 4 * d byte codes; `floatView()` reinterprets them (buffer offset 0, so
 * aligned).
 */
export class CodeStore {
  readonly codeSize: number;
  private buf: Uint8Array;
  private idBuf: Float64Array;
  private n = 0;

  constructor(codeSize: number, capacity = 0) {
    this.codeSize = codeSize;
    this.buf = new Uint8Array(Math.max(1, capacity) * codeSize);
    this.idBuf = new Float64Array(Math.max(1, capacity));
  }

  /** Builds a store holding the given codes (ntotal x codeSize) and ids (copied). */
  static from(codeSize: number, codes: Uint8Array, ids: Float64Array): CodeStore {
    const s = new CodeStore(codeSize, ids.length);
    s.append(codes, ids);
    return s;
  }

  get ntotal(): number {
    return this.n;
  }

  get codes(): Uint8Array {
    return this.buf.subarray(0, this.n * this.codeSize);
  }

  get ids(): Float64Array {
    return this.idBuf.subarray(0, this.n);
  }

  /**
   * The backing buffers themselves (over-allocated: only the first ntotal entries are meaningful), for hot
   * loops that must not allocate a view per call; valid until the next append/remove.
   */
  get codeBuffer(): Uint8Array {
    return this.buf;
  }

  get idBuffer(): Float64Array {
    return this.idBuf;
  }

  /** The codes as float32 (only meaningful when codeSize = 4 * d). */
  floatView(): Float32Array {
    return new Float32Array(this.buf.buffer, this.buf.byteOffset, (this.n * this.codeSize) >> 2);
  }

  private reserve(total: number): void {
    if (total <= this.idBuf.length) return;
    const cap = Math.max(total, this.idBuf.length * 2, 16);
    const nb = new Uint8Array(cap * this.codeSize);
    nb.set(this.buf.subarray(0, this.n * this.codeSize));
    this.buf = nb;
    const ni = new Float64Array(cap);
    ni.set(this.idBuf.subarray(0, this.n));
    this.idBuf = ni;
  }

  /** Appends ids.length codes. */
  append(codes: Uint8Array, ids: Float64Array): void {
    const m = ids.length;
    this.reserve(this.n + m);
    this.buf.set(codes.subarray(0, m * this.codeSize), this.n * this.codeSize);
    this.idBuf.set(ids, this.n);
    this.n += m;
  }

  /** Appends one code read from src at offset srcOff. */
  appendOne(src: Uint8Array, srcOff: number, id: number): void {
    this.reserve(this.n + 1);
    const cs = this.codeSize;
    this.buf.set(src.subarray(srcOff, srcOff + cs), this.n * cs);
    this.idBuf[this.n] = id;
    this.n++;
  }

  /** Removes every entry whose id is in the set, keeping the order of the others; returns how many. */
  removeIds(remove: Set<number>): number {
    const cs = this.codeSize;
    let w = 0;
    for (let r = 0; r < this.n; r++) {
      if (remove.has(this.idBuf[r])) continue;
      if (w !== r) {
        this.buf.copyWithin(w * cs, r * cs, r * cs + cs);
        this.idBuf[w] = this.idBuf[r];
      }
      w++;
    }
    const removed = this.n - w;
    this.n = w;
    return removed;
  }

  clear(): void {
    this.n = 0;
  }
}
