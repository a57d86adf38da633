/**
 * Colour and filter edits used to make copies for the evaluation, with torchvision's semantics
 * (the paper's transforms are torchvision.transforms.functional), on 8-bit RGB, DOM-free.
 * Results are rounded to nearest and clamped to 0..255, as torchvision does for uint8 tensors.
 */
import { gaussianKernel1d, reflect } from '../image/gaussian.ts';

import type { RgbImage } from '../image/types';

function clampByte(v: number): number {
  return v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
}

function mapPixels(img: RgbImage, f: (v: number, c: number) => number): RgbImage {
  const out = new Uint8Array(img.data.length);
  for (let i = 0; i < out.length; i++) out[i] = clampByte(f(img.data[i], i % 3));
  return { width: img.width, height: img.height, data: out };
}

/** adjust_brightness: blend with black, out = f * x. */
export function adjustBrightness(img: RgbImage, factor: number): RgbImage {
  return mapPixels(img, (v) => v * factor);
}

/** Mean of the grayscale image (torchvision weights 0.2989, 0.587, 0.114), the pivot of adjust_contrast. */
export function grayMean(img: RgbImage): number {
  const d = img.data;
  let s = 0;
  for (let i = 0; i < d.length; i += 3) s += 0.2989 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2];
  return s / (img.width * img.height);
}

/** adjust_contrast: blend with the mean gray level, out = f * x + (1 - f) * mean. */
export function adjustContrast(img: RgbImage, factor: number): RgbImage {
  const mean = grayMean(img);
  return mapPixels(img, (v) => factor * v + (1 - factor) * mean);
}

/** adjust_saturation: blend with the per-pixel grayscale. */
export function adjustSaturation(img: RgbImage, factor: number): RgbImage {
  const d = img.data;
  const out = new Uint8Array(d.length);
  for (let i = 0; i < d.length; i += 3) {
    const g = 0.2989 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2];
    for (let c = 0; c < 3; c++) out[i + c] = clampByte(factor * d[i + c] + (1 - factor) * g);
  }
  return { width: img.width, height: img.height, data: out };
}

/** adjust_hue: rotate the HSV hue by `shift` of a full turn (-0.5..0.5), as torchvision does. */
export function adjustHue(img: RgbImage, shift: number): RgbImage {
  const d = img.data;
  const out = new Uint8Array(d.length);
  for (let i = 0; i < d.length; i += 3) {
    const r = d[i] / 255;
    const g = d[i + 1] / 255;
    const b = d[i + 2] / 255;
    const max = Math.max(r, g, b);
    const min = Math.min(r, g, b);
    const delta = max - min;
    let h = 0;
    if (delta > 0) {
      if (max === r) h = ((g - b) / delta) % 6;
      else if (max === g) h = (b - r) / delta + 2;
      else h = (r - g) / delta + 4;
      h /= 6;
    }
    h = (((h + shift) % 1) + 1) % 1;
    const s = max === 0 ? 0 : delta / max;
    const v = max;
    // HSV -> RGB
    const h6 = h * 6;
    const k = Math.floor(h6) % 6;
    const f = h6 - Math.floor(h6);
    const p = v * (1 - s);
    const q = v * (1 - s * f);
    const t = v * (1 - s * (1 - f));
    const rgb = [
      [v, t, p],
      [q, v, p],
      [p, v, t],
      [p, q, v],
      [t, p, v],
      [v, p, q],
    ][k];
    out[i] = clampByte(rgb[0] * 255);
    out[i + 1] = clampByte(rgb[1] * 255);
    out[i + 2] = clampByte(rgb[2] * 255);
  }
  return { width: img.width, height: img.height, data: out };
}

/** gaussian_blur(kernel_size, sigma): separable, reflect padding, as torchvision. */
export function gaussianBlur(img: RgbImage, kernelSize: number, sigma: number): RgbImage {
  const { width: w, height: h, data } = img;
  const k = gaussianKernel1d(kernelSize, sigma);
  const half = (kernelSize - 1) / 2;
  const tmp = new Float32Array(data.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let t = 0; t < kernelSize; t++) s += k[t] * data[(y * w + reflect(x + t - half, w)) * 3 + c];
        tmp[(y * w + x) * 3 + c] = s;
      }
    }
  }
  const out = new Uint8Array(data.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let t = 0; t < kernelSize; t++) s += k[t] * tmp[(reflect(y + t - half, h) * w + x) * 3 + c];
        out[(y * w + x) * 3 + c] = clampByte(s);
      }
    }
  }
  return { width: w, height: h, data: out };
}
