/**
 * Standard base64 (RFC 4648 section 4, alphabet A-Z a-z 0-9 + /, '=' padding), strict, for Node and
 * browsers alike: no Buffer, and no atob/btoa (which work on "binary strings" one char per byte and would
 * build a second multi-megabyte string for big codebooks).
 *
 * The decoder accepts only canonical input: length a multiple of 4, padding only at the end (at most two),
 * no whitespace, and zero unused bits in the last group. So each byte array has exactly one encoding, and a
 * codebook's content hash cannot be kept while its data is altered through a non-canonical spelling.
 */
import { FindableError } from '../errors.ts';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** char code -> 6-bit value, -1 for characters outside the alphabet. */
const LOOKUP = (() => {
  const t = new Int16Array(128).fill(-1);
  for (let i = 0; i < ALPHABET.length; i++) t[ALPHABET.charCodeAt(i)] = i;
  return t;
})();

/** Output characters per TextDecoder call (a multiple of 4), bounding the temporary buffer. */
const CHUNK_CHARS = 4 * 65536;
const ALPHABET_CODES = Uint8Array.from(ALPHABET, (c) => c.charCodeAt(0));
const EQ = 61; // '='
const ascii = new TextDecoder('utf-8');

/**
 * Encodes into ASCII code units, then one TextDecoder call per chunk: much faster than string
 * concatenation for multi-megabyte codebooks, and available in Node and every browser.
 */
export function encodeBase64(bytes: Uint8Array): string {
  const parts: string[] = [];
  const buf = new Uint8Array(Math.min(CHUNK_CHARS, 4 * Math.ceil(bytes.length / 3)));
  const bytesPerChunk = (CHUNK_CHARS / 4) * 3;
  for (let start = 0; start < bytes.length; start += bytesPerChunk) {
    const end = Math.min(bytes.length, start + bytesPerChunk);
    let o = 0;
    let i = start;
    for (; i + 2 < end; i += 3) {
      const v = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
      buf[o++] = ALPHABET_CODES[v >> 18];
      buf[o++] = ALPHABET_CODES[(v >> 12) & 63];
      buf[o++] = ALPHABET_CODES[(v >> 6) & 63];
      buf[o++] = ALPHABET_CODES[v & 63];
    }
    // Only the final chunk can end with a partial group, because bytesPerChunk is a multiple of 3.
    const rest = end - i;
    if (rest > 0) {
      const v = (bytes[i] << 16) | (rest === 2 ? bytes[i + 1] << 8 : 0);
      buf[o++] = ALPHABET_CODES[v >> 18];
      buf[o++] = ALPHABET_CODES[(v >> 12) & 63];
      buf[o++] = rest === 2 ? ALPHABET_CODES[(v >> 6) & 63] : EQ;
      buf[o++] = EQ;
    }
    parts.push(ascii.decode(buf.subarray(0, o)));
  }
  return parts.join('');
}

function invalid(reason: string): never {
  throw new FindableError('INVALID_ARGUMENT', `invalid base64: ${reason}`);
}

/** Decodes canonical base64; throws FindableError('INVALID_ARGUMENT') saying why otherwise. */
export function decodeBase64(s: string): Uint8Array {
  if (s.length % 4 !== 0) invalid(`length ${s.length} is not a multiple of 4`);
  let pad = 0;
  if (s.length > 0 && s[s.length - 1] === '=') pad = s[s.length - 2] === '=' ? 2 : 1;
  const out = new Uint8Array((s.length / 4) * 3 - pad);
  const value = (pos: number): number => {
    const c = s.charCodeAt(pos);
    const v = c < 128 ? LOOKUP[c] : -1;
    if (v < 0) invalid(`unexpected character ${JSON.stringify(s[pos])} at ${pos}`);
    return v;
  };
  const full = pad > 0 ? s.length - 4 : s.length;
  let o = 0;
  for (let i = 0; i < full; i += 4) {
    const v = (value(i) << 18) | (value(i + 1) << 12) | (value(i + 2) << 6) | value(i + 3);
    out[o++] = v >> 16;
    out[o++] = (v >> 8) & 255;
    out[o++] = v & 255;
  }
  if (pad === 1) {
    const v = (value(full) << 18) | (value(full + 1) << 12) | (value(full + 2) << 6);
    if (v & 0xff) invalid('non-zero bits after the last byte');
    out[o++] = v >> 16;
    out[o++] = (v >> 8) & 255;
  } else if (pad === 2) {
    const v = (value(full) << 18) | (value(full + 1) << 12);
    if (v & 0xffff) invalid('non-zero bits after the last byte');
    out[o++] = v >> 16;
  }
  return out;
}

const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** float32 values as little-endian bytes, base64-encoded. */
export function encodeFloat32Base64(a: Float32Array): string {
  if (HOST_LE) return encodeBase64(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  const bytes = new Uint8Array(a.length * 4);
  const dv = new DataView(bytes.buffer);
  for (let i = 0; i < a.length; i++) dv.setFloat32(4 * i, a[i], true);
  return encodeBase64(bytes);
}

/** Inverse of encodeFloat32Base64; the byte length must be a multiple of 4. */
export function decodeFloat32Base64(s: string): Float32Array {
  const bytes = decodeBase64(s);
  if (bytes.length % 4 !== 0) invalid(`${bytes.length} bytes is not a whole number of float32 values`);
  if (HOST_LE) return new Float32Array(bytes.buffer, 0, bytes.length / 4);
  const dv = new DataView(bytes.buffer);
  const out = new Float32Array(bytes.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = dv.getFloat32(4 * i, true);
  return out;
}
