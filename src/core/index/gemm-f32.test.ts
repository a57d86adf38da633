import { describe, expect, it } from 'vitest';
import { GemmF32 } from './gemm-f32.ts';
import { Mt19937 } from './rng.ts';

function gaussian(n: number, seed: number): Float32Array {
  const r = new Mt19937(seed);
  return Float32Array.from({ length: n }, () => r.randn());
}

describe('GemmF32 (float32 X Y^T, WebAssembly f32x4 and its JS twin)', () => {
  for (const [nx, ny, d] of [
    [7, 12, 16],
    [64, 8, 64],
    [1, 4, 4],
    [33, 256, 64],
  ] as const) {
    it(`${nx} x ${ny} x ${d}: wasm and JS bit-identical, within float32 rounding of the exact product`, () => {
      const x = gaussian((nx + 3) * d, nx + d);
      const y = gaussian(ny * d, ny + 7 * d);
      const w = new GemmF32();
      const j = new GemmF32({ wasm: false });
      expect(w.wasm).toBe(true);
      w.setY(y, ny, d);
      j.setY(y, ny, d);
      const ow = new Float32Array((nx + 1) * ny);
      const oj = new Float32Array((nx + 1) * ny);
      // Rows 3.. of x into output rows 1.. (offsets on both sides).
      w.run(x, 3, nx, ow, 1);
      j.run(x, 3, nx, oj, 1);
      expect(Buffer.from(ow.buffer).equals(Buffer.from(oj.buffer))).toBe(true);
      let worst = 0;
      for (let i = 0; i < nx; i++) {
        for (let c = 0; c < ny; c++) {
          let s = 0;
          let a = 0;
          for (let p = 0; p < d; p++) {
            s += x[(3 + i) * d + p] * y[c * d + p];
            a += Math.abs(x[(3 + i) * d + p] * y[c * d + p]);
          }
          worst = Math.max(worst, Math.abs(ow[(1 + i) * ny + c] - s) / a);
        }
      }
      expect(worst).toBeLessThan((d / 4 + 3) * 2 ** -24);
    });
  }

  it('refuses shapes that are not multiples of 4', () => {
    expect(GemmF32.supports(8, 6)).toBe(false);
    expect(() => new GemmF32().setY(new Float32Array(30), 5, 6)).toThrow(RangeError);
  });
});
