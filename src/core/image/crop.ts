import type { RgbImage } from './types.ts';

/** The width x height rectangle of an image whose top-left corner is (left, top). */
export function cropRgb(img: RgbImage, left: number, top: number, width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const from = ((top + y) * img.width + left) * 3;
    data.set(img.data.subarray(from, from + width * 3), y * width * 3);
  }
  return { width, height, data };
}

/** The grid x grid tiles of an image, row by row (tile k is at column k % grid, row floor(k / grid)). */
export function gridTiles(img: RgbImage, grid: number): RgbImage[] {
  const tw = Math.floor(img.width / grid);
  const th = Math.floor(img.height / grid);
  const tiles: RgbImage[] = [];
  for (let gy = 0; gy < grid; gy++)
    for (let gx = 0; gx < grid; gx++) tiles.push(cropRgb(img, gx * tw, gy * th, tw, th));
  return tiles;
}
