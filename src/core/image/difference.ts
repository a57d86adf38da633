import { FindableError } from '../errors.ts';
import type { RgbImage } from './types.ts';

/**
 * The change made to a photo, made visible: 128 + gain * (after - before) per channel, clamped. The
 * activation moves pixels by a few levels only, so the UI shows it amplified (default x10).
 */
export function amplifiedDifference(before: RgbImage, after: RgbImage, gain = 10): RgbImage {
  if (before.width !== after.width || before.height !== after.height) {
    throw new FindableError(
      'SHAPE_MISMATCH',
      `Cannot compare a ${before.width}x${before.height} image with a ${after.width}x${after.height} one.`,
    );
  }
  const data = new Uint8Array(before.data.length);
  for (let i = 0; i < data.length; i++) {
    const v = 128 + gain * (after.data[i] - before.data[i]);
    data[i] = v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
  }
  return { width: before.width, height: before.height, data };
}
