/**
 * Little-endian cursor over a faiss index file held in memory (Uint8Array; no file system access).
 *
 * faiss writes every scalar with fwrite of its in-memory representation on little-endian machines, so the
 * file is a plain concatenation of: int32 / uint32 (4 bytes), int64 / size_t (8 bytes), bool (1 byte),
 * float (4 bytes IEEE-754) and "vectors" = uint64 element count followed by the raw elements.
 *
 * Every read is bounds-checked BEFORE allocating, so a truncated or corrupt file fails with
 * FindableError('FAISS_FORMAT') naming what was expected and at which byte offset, instead of a RangeError
 * or a multi-gigabyte allocation from a garbage length field.
 */
import { FindableError } from '../errors.ts';

/** True on little-endian hosts (all current browsers and Node targets): typed arrays can alias the bytes. */
const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export class ByteReader {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  private pos = 0;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Current byte offset from the start of the file. */
  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  /** Throws FAISS_FORMAT with the offset where `what` was expected. */
  fail(what: string, detail?: string, at = this.pos): never {
    const msg = `faiss index: expected ${what} at byte ${at}${detail ? ` (${detail})` : ''}`;
    throw new FindableError('FAISS_FORMAT', msg, { offset: at, expected: what });
  }

  private need(n: number, what: string): void {
    if (n > this.remaining) {
      this.fail(what, `needs ${n} bytes, only ${this.remaining} left: file truncated?`);
    }
  }

  u8(what: string): number {
    this.need(1, what);
    return this.view.getUint8(this.pos++);
  }

  /** faiss `bool` is one byte; anything but 0 / 1 means we are out of sync with the layout. */
  bool(what: string): boolean {
    const at = this.pos;
    const v = this.u8(what);
    if (v > 1) this.fail(`${what} (bool 0 or 1)`, `got ${v}`, at);
    return v === 1;
  }

  i32(what: string): number {
    this.need(4, what);
    const v = this.view.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }

  u32(what: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  f32(what: string): number {
    this.need(4, what);
    const v = this.view.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** int64 kept exact (ids, ntotal, dummies). */
  i64(what: string): bigint {
    this.need(8, what);
    const v = this.view.getBigInt64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** size_t as a JS number; values beyond 2^53 cannot be a real size and are rejected. */
  size(what: string): number {
    const at = this.pos;
    this.need(8, what);
    const v = this.view.getBigUint64(this.pos, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(what, `size ${v} is not plausible`, at);
    this.pos += 8;
    return Number(v);
  }

  /** int64 that must be a non-negative safe integer (ntotal). */
  count(what: string): number {
    const at = this.pos;
    const v = this.i64(what);
    if (v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(what, `got ${v}`, at);
    return Number(v);
  }

  /** Four ASCII characters (faiss fourcc: first character in the lowest byte). */
  fourcc(what: string): string {
    this.need(4, what);
    const b = this.bytes.subarray(this.pos, this.pos + 4);
    this.pos += 4;
    return String.fromCharCode(b[0], b[1], b[2], b[3]);
  }

  /** Copy of the next n bytes. */
  raw(n: number, what: string): Uint8Array {
    this.need(n, what);
    const out = this.bytes.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** n float32 values (copied, so the result is aligned and independent of the file buffer). */
  f32Array(n: number, what: string): Float32Array {
    const raw = this.raw(n * 4, what);
    if (HOST_LE) return new Float32Array(raw.buffer, 0, n);
    const dv = new DataView(raw.buffer);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = dv.getFloat32(4 * i, true);
    return out;
  }

  /** n int64 values, exact. */
  i64Array(n: number, what: string): BigInt64Array {
    const raw = this.raw(n * 8, what);
    if (HOST_LE) return new BigInt64Array(raw.buffer, 0, n);
    const dv = new DataView(raw.buffer);
    const out = new BigInt64Array(n);
    for (let i = 0; i < n; i++) out[i] = dv.getBigInt64(8 * i, true);
    return out;
  }

  /** n size_t values as numbers. */
  sizeArray(n: number, what: string): number[] {
    this.need(n * 8, what);
    const out: number[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = this.size(`${what}[${i}]`);
    return out;
  }

  /** The element count of a faiss std::vector, checked against the bytes left (elemSize bytes each). */
  private vectorLength(elemSize: number, what: string): number {
    const at = this.pos;
    const n = this.size(`${what} length`);
    if (n * elemSize > this.remaining) {
      this.fail(`${what} (${n} x ${elemSize} bytes)`, `only ${this.remaining} bytes left: file truncated?`, at);
    }
    return n;
  }

  /** READVECTOR(std::vector<float>). */
  f32Vector(what: string): Float32Array {
    return this.f32Array(this.vectorLength(4, what), what);
  }

  /** READVECTOR(std::vector<uint8_t>). */
  u8Vector(what: string): Uint8Array {
    return this.raw(this.vectorLength(1, what), what);
  }

  /** READVECTOR(std::vector<int64_t>). */
  i64Vector(what: string): BigInt64Array {
    return this.i64Array(this.vectorLength(8, what), what);
  }

  /** READVECTOR(std::vector<size_t>). */
  sizeVector(what: string): number[] {
    return this.sizeArray(this.vectorLength(8, what), what);
  }

  /**
   * READXBVECTOR: IndexFlat codes are a byte vector but the stored count is the number of FLOATS
   * (byte size / 4), a faiss quirk kept for compatibility with its old float storage.
   */
  xbVector(what: string): Float32Array {
    return this.f32Array(this.vectorLength(4, what), what);
  }
}
