import { describe, expect, it } from 'vitest';
import { AdcKernel, FUSED_SCAN_MAX } from './adc-kernel.ts';
import { Mt19937 } from './rng.ts';

function codesOf(n: number, M: number, seed: number): Uint8Array {
  const r = new Mt19937(seed);
  return Uint8Array.from({ length: n * M }, () => r.randInt(256));
}

function floats(n: number, seed: number): Float64Array {
  const r = new Mt19937(seed);
  return Float64Array.from({ length: n }, () => r.randn() * 10);
}

describe('AdcKernel (WebAssembly and its JS twin)', () => {
  // M = 8 (unrolled path), 16 (two groups), 3 (generic path); list sizes on both sides of FUSED_SCAN_MAX.
  for (const M of [8, 16, 3]) {
    it(`M ${M}: table and precomputed scans, wasm and JS bit-identical, equal to the plain sums`, () => {
      const w = new AdcKernel(M);
      const j = new AdcKernel(M, { wasm: false });
      expect(w.wasm).toBe(true);
      const nlist = 3;
      const term1 = Float32Array.from(floats(nlist * M * 256, M));
      const term3 = floats(M * 256, M + 1);
      const table = floats(M * 256, M + 2);
      for (const k of [w, j]) {
        k.term1(nlist).set(term1);
        k.term3().set(term3);
      }
      for (const cnt of [1, 37, FUSED_SCAN_MAX - 1, FUSED_SCAN_MAX, 3000]) {
        const codes = codesOf(cnt + 2, M, cnt);
        for (const list of [0, 2]) {
          const a = w.scanPrecomputed(list, codes, cnt).slice();
          const b = j.scanPrecomputed(list, codes, cnt).slice();
          expect(Array.from(a)).toEqual(Array.from(b));
          for (const i of [0, cnt - 1]) {
            let s = 0;
            for (let m = 0; m < M; m++) {
              const e = m * 256 + codes[i * M + m];
              s += term1[list * M * 256 + e] + term3[e];
            }
            expect(a[i]).toBe(s);
          }
        }
        w.table().set(table);
        j.table().set(table);
        const a = w.scanTable(codes, cnt).slice();
        expect(Array.from(a)).toEqual(Array.from(j.scanTable(codes, cnt).slice()));
        let s = 0;
        for (let m = 0; m < M; m++) s += table[m * 256 + codes[(cnt - 1) * M + m]];
        expect(a[cnt - 1]).toBe(s);
      }
    });
  }
});
