import { describe, expect, it } from 'vitest';
import { amplifiedDifference } from './difference';

describe('amplifiedDifference', () => {
  it('amplifies signed differences around mid-grey and clamps', () => {
    const before = { width: 2, height: 1, data: Uint8Array.of(10, 10, 10, 100, 100, 100) };
    const after = { width: 2, height: 1, data: Uint8Array.of(11, 9, 10, 120, 80, 100) };
    expect(Array.from(amplifiedDifference(before, after).data)).toEqual([138, 118, 128, 255, 0, 128]);
    expect(() => amplifiedDifference(before, { width: 1, height: 2, data: before.data })).toThrow(
      expect.objectContaining({ code: 'SHAPE_MISMATCH' }) as unknown as Error,
    );
  });
});
