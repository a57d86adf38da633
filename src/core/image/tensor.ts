/**
 * Conversions between 8-bit interleaved RGB and planar float NCHW, in 'unit' ([0,1]) or 'imagenet' space.
 *
 *   unit     = rgb / 255
 *   imagenet = (unit - mean_c) / std_c        (torchvision Normalize: subtract, then divide)
 *   unit     = imagenet * std_c + mean_c
 *   rgb      = round(clamp(unit, 0, 1) * 255)
 *
 * Arithmetic is done in float64 and rounded once to float32 on store, so every 8-bit value survives
 * rgb -> unit -> imagenet -> unit -> rgb exactly (float32 error is ~1e-5 in 0..255 units, far from a 0.5 tie).
 * Rounding is round-half-up (JavaScript Math.round). For a float32 unit value u, u * 255 is exact in float64
 * and equals k + 0.5 only for u = (2k+1)/510, which is a float32 only for u = 0.5 (-> 128, even): so on 'unit'
 * input half-up, half-to-even (torch.round) and round-to-nearest all give the same bytes. It is NOT the
 * truncation of torchvision's ToPILImage (mul(255).byte()), which biases every pixel down by half a level.
 * NaN cannot be rounded to a pixel: unitToRgb / imagenetToRgb throw NOT_FINITE rather than write 0.
 *
 * Every function takes an optional `out` buffer (exact length, may alias the input's data for the float ->
 * float conversions) so that 48-megapixel images need not be copied more than once.
 */
import { FindableError } from '../errors';
import { assertFloatImage, assertRgbImage, outBuffer } from './shape';
import { type FloatImage, IMAGENET_MEAN, IMAGENET_STD, type RgbImage } from './types';

const newF32 = (n: number) => new Float32Array(n);
const newU8 = (n: number) => new Uint8Array(n);

/** RGB uint8 interleaved -> planar float in [0,1]. */
export function toUnit(img: RgbImage, out?: Float32Array): FloatImage {
  return rgbToPlanar(img, 'unit', out);
}

/** RGB uint8 interleaved -> planar ImageNet-normalised float in one pass (no intermediate unit image). */
export function rgbToImagenet(img: RgbImage, out?: Float32Array): FloatImage {
  return rgbToPlanar(img, 'imagenet', out);
}

/** 'unit' -> 'imagenet'. */
export function toImagenet(img: FloatImage, out?: Float32Array): FloatImage {
  assertFloatImage(img, 'unit');
  const plane = img.width * img.height;
  const dst = outBuffer(out, img.data.length, newF32);
  const src = img.data;
  for (let c = 0; c < 3; c++) {
    const mean = IMAGENET_MEAN[c];
    const std = IMAGENET_STD[c];
    const end = (c + 1) * plane;
    for (let i = c * plane; i < end; i++) dst[i] = (src[i] - mean) / std;
  }
  return { width: img.width, height: img.height, space: 'imagenet', data: dst };
}

/** 'imagenet' -> 'unit' (no clamping: values outside [0,1] are kept, unitToRgb clamps). */
export function fromImagenet(img: FloatImage, out?: Float32Array): FloatImage {
  assertFloatImage(img, 'imagenet');
  const plane = img.width * img.height;
  const dst = outBuffer(out, img.data.length, newF32);
  const src = img.data;
  for (let c = 0; c < 3; c++) {
    const mean = IMAGENET_MEAN[c];
    const std = IMAGENET_STD[c];
    const end = (c + 1) * plane;
    for (let i = c * plane; i < end; i++) dst[i] = src[i] * std + mean;
  }
  return { width: img.width, height: img.height, space: 'unit', data: dst };
}

/** 'unit' planar float -> RGB uint8 interleaved: clamp to [0,1], scale by 255, round half up. */
export function unitToRgb(img: FloatImage, out?: Uint8Array): RgbImage {
  assertFloatImage(img, 'unit');
  return planarToRgb(img, [0, 0, 0], [1, 1, 1], out);
}

/** 'imagenet' planar float -> RGB uint8 interleaved in one pass (unnormalise, clamp, round half up). */
export function imagenetToRgb(img: FloatImage, out?: Uint8Array): RgbImage {
  assertFloatImage(img, 'imagenet');
  return planarToRgb(img, IMAGENET_MEAN, IMAGENET_STD, out);
}

function rgbToPlanar(img: RgbImage, space: 'unit' | 'imagenet', out: Float32Array | undefined): FloatImage {
  assertRgbImage(img);
  const plane = img.width * img.height;
  const dst = outBuffer(out, plane * 3, newF32);
  const src = img.data;
  for (let c = 0; c < 3; c++) {
    // A 256-entry table per channel: the exact float32 each byte maps to, identical to the two-step path.
    const lut = new Float32Array(256);
    for (let v = 0; v < 256; v++) {
      const u = Math.fround(v / 255);
      lut[v] = space === 'unit' ? u : (u - IMAGENET_MEAN[c]) / IMAGENET_STD[c];
    }
    const base = c * plane;
    for (let p = 0, s = c; p < plane; p++, s += 3) dst[base + p] = lut[src[s]];
  }
  return { width: img.width, height: img.height, space, data: dst };
}

function planarToRgb(
  img: FloatImage,
  mean: readonly number[],
  std: readonly number[],
  out: Uint8Array | undefined,
): RgbImage {
  const plane = img.width * img.height;
  const dst = outBuffer(out, plane * 3, newU8);
  const src = img.data;
  for (let c = 0; c < 3; c++) {
    const m = mean[c];
    const s = std[c];
    const base = c * plane;
    for (let p = 0, d = c; p < plane; p++, d += 3) {
      let u = src[base + p] * s + m;
      if (Number.isNaN(u)) {
        throw new FindableError('NOT_FINITE', `NaN at channel ${c}, pixel ${p}.`, { channel: c, pixel: p });
      }
      u = u < 0 ? 0 : Math.min(u, 1);
      dst[d] = Math.round(u * 255);
    }
  }
  return { width: img.width, height: img.height, data: dst };
}
