import { describe, expect, it } from 'vitest';
import { rgbToRgba } from './render';

describe('render helpers', () => {
  it('expands RGB to opaque RGBA', () => {
    expect(Array.from(rgbToRgba({ width: 1, height: 2, data: Uint8Array.of(1, 2, 3, 4, 5, 6) }))).toEqual([
      1, 2, 3, 255, 4, 5, 6, 255,
    ]);
  });
});
