/**
 * Peak signal-to-noise ratio of two 8-bit RGB images, as reported in method.md section 5:
 *   PSNR = 10 log10(255^2 / MSE),  MSE = mean over every pixel AND every channel of (a - b)^2.
 * Same as skimage.metrics.peak_signal_noise_ratio(a, b, data_range=255) on HxWx3 uint8 arrays, and as the
 * reference's psnr() on [0,1] tensors scaled by 255.
 * Identical images have MSE 0: the result is +Infinity (as skimage), not an error; callers that average
 * PSNRs over a set must decide how to treat it.
 */
import { assertRgbImage, assertSameSize } from './shape';
import type { RgbImage } from './types';

/** Mean squared error in 0..255 units over all channels. */
export function mse(a: RgbImage, b: RgbImage): number {
  assertRgbImage(a, 'a');
  assertRgbImage(b, 'b');
  assertSameSize(a, b);
  const da = a.data;
  const db = b.data;
  // Integer squares summed in a double stay exact up to 2^53 (~1.4e11 bytes of maximal error), far beyond
  // a 48-megapixel photo, so the result does not depend on summation order.
  let sum = 0;
  for (let i = 0; i < da.length; i++) {
    const d = da[i] - db[i];
    sum += d * d;
  }
  return sum / da.length;
}

/** PSNR in dB with data range 255; +Infinity for identical images. */
export function psnr(a: RgbImage, b: RgbImage): number {
  const m = mse(a, b);
  return m === 0 ? Number.POSITIVE_INFINITY : 10 * Math.log10((255 * 255) / m);
}
