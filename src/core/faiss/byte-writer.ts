/**
 * Growable little-endian byte sink producing faiss's on-disk representation (the mirror of ByteReader):
 * int32 / float 4 bytes, int64 / size_t 8 bytes, bool 1 byte, vectors = uint64 count + raw elements.
 */
import { FindableError } from '../errors.ts';

export class ByteWriter {
  private buf: Uint8Array;
  private view: DataView;
  private pos = 0;

  constructor(initialCapacity = 1 << 16) {
    this.buf = new Uint8Array(initialCapacity);
    this.view = new DataView(this.buf.buffer);
  }

  get length(): number {
    return this.pos;
  }

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.pos + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): void {
    this.reserve(1);
    this.view.setUint8(this.pos++, v);
  }

  bool(v: boolean): void {
    this.u8(v ? 1 : 0);
  }

  i32(v: number): void {
    this.reserve(4);
    this.view.setInt32(this.pos, v, true);
    this.pos += 4;
  }

  f32(v: number): void {
    this.reserve(4);
    this.view.setFloat32(this.pos, v, true);
    this.pos += 4;
  }

  i64(v: bigint): void {
    this.reserve(8);
    this.view.setBigInt64(this.pos, v, true);
    this.pos += 8;
  }

  size(v: number): void {
    if (!Number.isSafeInteger(v) || v < 0) {
      throw new FindableError(
        'INVALID_ARGUMENT',
        `faiss writer: size_t field must be a non-negative integer, got ${v}`,
      );
    }
    this.reserve(8);
    this.view.setBigUint64(this.pos, BigInt(v), true);
    this.pos += 8;
  }

  fourcc(s: string): void {
    if (s.length !== 4) throw new FindableError('INVALID_ARGUMENT', `fourcc must be 4 characters, got "${s}"`);
    for (let i = 0; i < 4; i++) this.u8(s.charCodeAt(i));
  }

  raw(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  f32Array(a: Float32Array): void {
    this.reserve(a.length * 4);
    for (let i = 0; i < a.length; i++) this.view.setFloat32(this.pos + 4 * i, a[i], true);
    this.pos += a.length * 4;
  }

  i64Array(a: BigInt64Array): void {
    this.reserve(a.length * 8);
    for (let i = 0; i < a.length; i++) this.view.setBigInt64(this.pos + 8 * i, a[i], true);
    this.pos += a.length * 8;
  }

  f32Vector(a: Float32Array): void {
    this.size(a.length);
    this.f32Array(a);
  }

  u8Vector(a: Uint8Array): void {
    this.size(a.length);
    this.raw(a);
  }

  i64Vector(a: BigInt64Array): void {
    this.size(a.length);
    this.i64Array(a);
  }

  sizeVector(a: readonly number[]): void {
    this.size(a.length);
    for (const v of a) this.size(v);
  }

  /** WRITEXBVECTOR: count in floats (see ByteReader.xbVector). */
  xbVector(a: Float32Array): void {
    this.f32Vector(a);
  }

  /** The bytes written so far (a copy trimmed to length). */
  toBytes(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}
