import { describe, expect, it } from 'vitest';
import { F64Kernels } from './f64-kernels.ts';

describe('F64Kernels (dot, axpy, rot in f64x2 and JS)', () => {
  it('wasm and JS paths give the same bits, and the right values', () => {
    const results = [true, false].map((wasm) => {
      const k = new F64Kernels(4000, { wasm });
      expect(k.wasm).toBe(wasm);
      const a = k.alloc(1001);
      const b = k.alloc(1001);
      for (let i = 0; i < 1001; i++) {
        a[i] = Math.sin(i);
        b[i] = Math.cos(0.3 * i);
      }
      let ref = 0;
      for (let i = 0; i < 999; i++) ref += a[1 + i] * b[2 + i];
      const dot = k.dot(a, 1, b, 2, 999);
      expect(Math.abs(dot - ref)).toBeLessThan(1e-12);
      const b0 = b[10];
      k.axpy(0.37, a, 1, b, 0, 999);
      expect(b[10]).toBe(b0 + 0.37 * a[11]);
      const [x, y] = [a[500], b[498]];
      k.rot(0.6, 0.8, a, 3, b, 1, 997);
      expect(a[500]).toBe(0.6 * x + 0.8 * y);
      expect(b[498]).toBe(-0.8 * x + 0.6 * y);
      return [dot, ...a, ...b];
    });
    expect(results[0]).toEqual(results[1]);
  });
});
