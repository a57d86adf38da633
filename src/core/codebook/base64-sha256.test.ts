import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isFindableError } from '../errors.ts';
import { decodeBase64, decodeFloat32Base64, encodeBase64, encodeFloat32Base64 } from './base64.ts';
import { sha256Hex, sha256HexOfString } from './sha256.ts';

describe('base64 codec (no Buffer, no atob)', () => {
  it('matches Node for every length 0..100 and a large buffer crossing the chunk size', () => {
    for (let n = 0; n <= 100; n++) {
      const b = new Uint8Array(randomBytes(n));
      const s = encodeBase64(b);
      expect(s).toBe(Buffer.from(b).toString('base64'));
      expect(decodeBase64(s)).toEqual(b);
    }
    const big = new Uint8Array(randomBytes(3 * 8192 * 3 + 2));
    expect(encodeBase64(big)).toBe(Buffer.from(big).toString('base64'));
    expect(decodeBase64(encodeBase64(big))).toEqual(big);
  });

  it('round-trips float32 arrays bit-exactly, including -0 and subnormals', () => {
    const a = new Float32Array([0, -0, 1.5, -3.25e-42, 3.4028234663852886e38, Math.PI]);
    const back = decodeFloat32Base64(encodeFloat32Base64(a));
    expect(new Uint8Array(back.buffer)).toEqual(new Uint8Array(a.buffer));
    // A subarray view encodes only its own elements.
    expect(decodeFloat32Base64(encodeFloat32Base64(a.subarray(2, 4)))).toEqual(a.subarray(2, 4));
  });

  it('rejects non-canonical or damaged input with a reason', () => {
    const bad: [string, RegExp][] = [
      ['abc', /multiple of 4/],
      ['ab$d', /unexpected character "\$" at 2/],
      ['a=bc', /unexpected character "=" at 1/],
      ['ab==cd==', /unexpected character "=" at 2/],
      ['QR==', /non-zero bits/],
      ['QUJ=', /non-zero bits/],
      ['QUJD\n', /multiple of 4/],
    ];
    for (const [s, re] of bad) {
      try {
        decodeBase64(s);
        throw new Error(`accepted ${JSON.stringify(s)}`);
      } catch (e) {
        expect(isFindableError(e, 'INVALID_ARGUMENT'), String(e)).toBe(true);
        expect((e as Error).message).toMatch(re);
      }
    }
    expect(() => decodeFloat32Base64('QUJD')).toThrow(/whole number of float32/);
  });
});

describe('sha256', () => {
  it('matches the FIPS test vectors and node:crypto at every padding boundary', () => {
    expect(sha256HexOfString('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256HexOfString('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    for (const n of [1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000, 100_003]) {
      const b = new Uint8Array(randomBytes(n));
      expect(sha256Hex(b), `length ${n}`).toBe(createHash('sha256').update(b).digest('hex'));
    }
  });
});
