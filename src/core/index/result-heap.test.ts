import { describe, expect, it } from 'vitest';
import { ResultHeap } from './result-heap.ts';
import { Mt19937 } from './rng.ts';
import { MISSING_DISTANCE } from './types.ts';

/** The k smallest (distance, id) pairs by a plain sort. */
function reference(pairs: [number, number][], k: number): [number, number][] {
  return [...pairs].sort((a, b) => a[0] - b[0] || a[1] - b[1]).slice(0, k);
}

describe('ResultHeap', () => {
  it('writeSorted gives the k smallest by (distance, id), keeps the heap usable, pads with -1', () => {
    const r = new Mt19937(3);
    for (const k of [1, 2, 7, 10, 33]) {
      const heap = new ResultHeap(k);
      const pairs: [number, number][] = [];
      const out = new Float32Array(k);
      const ids = new Float64Array(k);
      for (let step = 0; step < 300; step++) {
        // Coarse distances: many ties, broken by id.
        const p: [number, number] = [r.randInt(20), r.randInt(1000)];
        pairs.push(p);
        heap.push(p[0], p[1]);
        if (step % 37 === 0 || step === 299) {
          heap.writeSorted(out, ids, 0);
          const ref = reference(pairs, k);
          expect(Array.from(ids.subarray(0, ref.length))).toEqual(ref.map((x) => x[1]));
          expect(Array.from(out.subarray(0, ref.length))).toEqual(ref.map((x) => x[0]));
          for (let j = ref.length; j < k; j++) {
            expect(ids[j]).toBe(-1);
            expect(out[j]).toBe(Math.fround(MISSING_DISTANCE));
          }
        }
      }
      // Twice in a row: same answer (the heap still holds its entries).
      const again = new Float64Array(k);
      const againIds = new Float64Array(k);
      heap.writeSorted(again, againIds, 0);
      expect(Array.from(againIds)).toEqual(Array.from(ids));
    }
  });
});
