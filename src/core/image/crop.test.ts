import { describe, expect, it } from 'vitest';
import { cropRgb, gridTiles } from './crop';

const img = { width: 4, height: 2, data: Uint8Array.from({ length: 24 }, (_, i) => i) };

describe('crop', () => {
  it('cuts a rectangle', () => {
    expect(Array.from(cropRgb(img, 1, 1, 2, 1).data)).toEqual([15, 16, 17, 18, 19, 20]);
  });
  it('cuts a grid row by row', () => {
    const tiles = gridTiles(img, 2);
    expect(tiles.map((t) => [t.width, t.height])).toEqual([
      [2, 1],
      [2, 1],
      [2, 1],
      [2, 1],
    ]);
    expect(Array.from(tiles[1].data)).toEqual([6, 7, 8, 9, 10, 11]);
    expect(Array.from(tiles[2].data)).toEqual([12, 13, 14, 15, 16, 17]);
  });
});
