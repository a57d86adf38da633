import { describe, expect, it } from 'vitest';
import { assignNearest, knnIntoHeaps, l2sqr } from './distances.ts';
import { DotKernel } from './dot-kernel.ts';
import { ResultHeap } from './result-heap.ts';
import { Mt19937 } from './rng.ts';

function gaussian(n: number, seed: number): Float32Array {
  const r = new Mt19937(seed);
  return Float32Array.from({ length: n }, () => r.randn());
}

/** Brute force: nearest rows by exact differences, ties to the smaller index. */
function bruteKnn(x: Float32Array, i: number, y: Float32Array, ny: number, d: number, k: number) {
  const all = Array.from({ length: ny }, (_, c) => ({ c, v: l2sqr(x, i * d, y, c * d, d) }));
  all.sort((a, b) => a.v - b.v || a.c - b.c);
  return all.slice(0, k);
}

describe('assignNearest / knnIntoHeaps', () => {
  // 20000 x 128 is above the shared kernel's resident limit (2^21 values): y is streamed block by block.
  for (const [ny, d] of [
    [300, 24],
    [20000, 128],
  ] as const) {
    it(`${ny} x ${d}: same neighbours and distances as brute force`, () => {
      const y = gaussian(ny * d, ny);
      const nx = 70;
      const x = gaussian(nx * d, d);
      const labels = new Int32Array(nx);
      const dist = new Float64Array(nx);
      assignNearest(x, nx, y, ny, d, labels, dist);
      const heaps = Array.from({ length: nx }, () => new ResultHeap(5));
      knnIntoHeaps(x, nx, y, ny, d, heaps);
      const D = new Float64Array(5);
      const I = new Float64Array(5);
      for (const i of [0, 1, 63, 64, 69]) {
        const ref = bruteKnn(x, i, y, ny, d, 5);
        expect(labels[i]).toBe(ref[0].c);
        expect(Math.abs(dist[i] - ref[0].v)).toBeLessThan(1e-9 * ref[0].v);
        heaps[i].writeSorted(D, I, 0);
        expect(Array.from(I)).toEqual(ref.map((r) => r.c));
        for (const [j, r] of ref.entries()) expect(Math.abs(D[j] - r.v)).toBeLessThan(1e-9 * r.v);
      }
    });
  }

  it('gives identical results with a caller-held kernel and on duplicated rows keeps the smallest index', () => {
    const d = 16;
    const y = gaussian(50 * d, 3);
    y.copyWithin(40 * d, 7 * d, 8 * d); // row 40 = row 7
    const x = y.slice(7 * d, 8 * d);
    const labels = new Int32Array(1);
    const dist = new Float64Array(1);
    assignNearest(x, 1, y, 50, d, labels, dist);
    expect(labels[0]).toBe(7);
    expect(dist[0]).toBe(0);
    const k = new DotKernel();
    k.setY(y, 0, 50, d);
    const l2 = new Int32Array(1);
    assignNearest(x, 1, y, 50, d, l2, new Float64Array(1), undefined, k);
    expect(l2[0]).toBe(7);
  });
});
