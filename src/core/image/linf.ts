/**
 * L-infinity distance of two 8-bit RGB images: max |a - b| over every pixel and channel, in 0..255 units
 * (method.md section 5 reports 14.5 +- 1.2 for activated images). An integer in 0..255.
 */
import { assertRgbImage, assertSameSize } from './shape';
import type { RgbImage } from './types';

export function linf(a: RgbImage, b: RgbImage): number {
  assertRgbImage(a, 'a');
  assertRgbImage(b, 'b');
  assertSameSize(a, b);
  const da = a.data;
  const db = b.data;
  let max = 0;
  for (let i = 0; i < da.length; i++) {
    const d = da[i] > db[i] ? da[i] - db[i] : db[i] - da[i];
    if (d > max) {
      max = d;
      if (max === 255) break;
    }
  }
  return max;
}
