import { describe, expect, it } from 'vitest';
import { DotKernel, wasmKernelsAvailable } from './dot-kernel.ts';
import { Mt19937 } from './rng.ts';

function gaussian(n: number, seed: number): Float32Array {
  const r = new Mt19937(seed);
  return Float32Array.from({ length: n }, () => r.randn());
}

/** Exact-ish reference: ascending j, one float64 sum. */
function reference(x: Float32Array, xo: number, y: Float32Array, yo: number, d: number, l2: boolean): number {
  let s = 0;
  for (let j = 0; j < d; j++) {
    const a = x[xo + j];
    const b = y[yo + j];
    s += l2 ? (a - b) * (a - b) : a * b;
  }
  return s;
}

describe('DotKernel (WebAssembly SIMD and its JS twin)', () => {
  it('runs the wasm code in Node', () => {
    expect(wasmKernelsAvailable()).toBe(true);
    expect(new DotKernel().wasm).toBe(true);
    expect(new DotKernel({ wasm: false }).wasm).toBe(false);
  });

  // Row counts around the 8-row register block, odd and even d, sub-ranges of the resident rows.
  for (const [ny, d, nx, c0, c1] of [
    [37, 16, 5, 0, 37],
    [64, 128, 3, 8, 61],
    [9, 2, 1, 1, 9],
    [300, 34, 7, 250, 300],
    [13, 7, 4, 0, 13],
  ] as const) {
    it(`ny ${ny}, d ${d}, ${nx} queries, rows [${c0}, ${c1}): wasm and JS bit-identical, ~exact`, () => {
      const y = gaussian(ny * d + 3, ny + d);
      const x = gaussian(nx * d + 5, nx + 100 * d);
      const w = new DotKernel();
      const j = new DotKernel({ wasm: false });
      w.setY(y, 3, ny, d);
      j.setY(y, 3, ny, d);
      for (const l2 of [false, true]) {
        const a = (l2 ? w.l2sq(x, 5, nx, c0, c1) : w.dots(x, 5, nx, c0, c1)).slice();
        const b = (l2 ? j.l2sq(x, 5, nx, c0, c1) : j.dots(x, 5, nx, c0, c1)).slice();
        expect(a.length).toBe(nx * (c1 - c0));
        expect(Array.from(a)).toEqual(Array.from(b));
        let maxRel = 0;
        for (let i = 0; i < nx; i++) {
          for (let c = c0; c < c1; c++) {
            const ref = reference(x, 5 + i * d, y, 3 + c * d, d, l2);
            maxRel = Math.max(maxRel, Math.abs(a[i * (c1 - c0) + c - c0] - ref) / Math.max(1, Math.abs(ref)));
          }
        }
        expect(maxRel).toBeLessThan(1e-13);
      }
    });
  }

  it('keeps working when the matrix and the batch grow (memory growth rebuilds its views)', () => {
    const k = new DotKernel();
    const small = gaussian(4 * 8, 1);
    k.setY(small, 0, 4, 8);
    expect(k.dots(small, 0, 1)[0]).toBeCloseTo(reference(small, 0, small, 0, 8, false), 12);
    const d = 64;
    const big = gaussian(5000 * d, 2);
    k.setY(big, 0, 5000, d);
    const out = k.dots(big, 0, 40).slice();
    expect(out.length).toBe(40 * 5000);
    expect(out[39 * 5000 + 4999]).toBeCloseTo(reference(big, 39 * d, big, 4999 * d, d, false), 10);
    expect(k.bytes).toBeGreaterThan(5000 * d * 4);
  });
});
