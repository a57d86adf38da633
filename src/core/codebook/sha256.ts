/**
 * SHA-256, synchronous, in Node and the browser: @noble/hashes (audited, dependency-free).
 * Why not crypto.subtle.digest: it is async (serialize/parse would become async for one hash) and it is
 * missing outside secure contexts (a codebook served over plain http on a LAN).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';

/** SHA-256 of the bytes, as 64 lowercase hex characters. */
export function sha256Hex(data: Uint8Array): string {
  return bytesToHex(sha256(data));
}

/** SHA-256 of a string's UTF-8 bytes. */
export function sha256HexOfString(s: string): string {
  return sha256Hex(new TextEncoder().encode(s));
}
