/**
 * Image helpers for fitting and evaluating the descriptor head (Node only, sharp for codecs and resizing).
 *
 * - Tiles: every corpus photo gives TILES_PER_PHOTO images (the whole photo and its four quadrants), each
 *   resized so that its long side is TILE_LONG_SIDE px. Tiles of one photo are copies of that photo, never
 *   independent images (corpus README): every split and every match is grouped by photo.
 * - Transformations (applied to a tile, as a copy would be): jpeg50, crop50 (centre crop keeping 50% of the
 *   area), contrast2 (torchvision adjust_contrast 2.0), blur (gaussian, kernel 11, sigma 2), resize50
 *   (50% of the area).
 * - Extractor input: square (aspect-ignoring) resize to 224x224 with an antialiased triangle filter, RGB in
 *   [0,1], NCHW float32.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import type { RgbImage } from '../../src/core/image/types.ts';
import { INPUT_SIZE } from './convert-mobilenet.ts';

export const TILE_LONG_SIDE = 512;
export const TILES_PER_PHOTO = 5;
export const TRANSFORMS = ['jpeg50', 'crop50', 'contrast2', 'blur', 'resize50'] as const;
export type TransformName = (typeof TRANSFORMS)[number];

sharp.concurrency(1);
sharp.cache(false);

/** Sorted *.jpg files of a directory (absolute paths). */
export function listJpegs(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => /\.jpe?g$/i.test(f))
    .sort()
    .map((f) => join(dir, f));
}

export async function decodeRgb(input: string | Buffer): Promise<RgbImage> {
  const { data, info } = await sharp(input, { failOn: 'error' })
    .rotate()
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`expected 3 channels, got ${info.channels}`);
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

function fromRaw(img: RgbImage) {
  return sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.length), {
    raw: { width: img.width, height: img.height, channels: 3 },
  });
}

async function toRgb(s: Sharp): Promise<RgbImage> {
  const { data, info } = await s.raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

export async function resizeTo(img: RgbImage, width: number, height: number): Promise<RgbImage> {
  if (img.width === width && img.height === height) return img;
  return toRgb(fromRaw(img).resize(width, height, { fit: 'fill', kernel: 'linear' }));
}

export async function crop(img: RgbImage, left: number, top: number, width: number, height: number): Promise<RgbImage> {
  return toRgb(fromRaw(img).extract({ left, top, width, height }));
}

/** Resize so that the long side is `longSide` (never upscales). */
export async function fitLongSide(img: RgbImage, longSide: number): Promise<RgbImage> {
  const s = Math.min(1, longSide / Math.max(img.width, img.height));
  if (s === 1) return img;
  return resizeTo(img, Math.max(1, Math.round(img.width * s)), Math.max(1, Math.round(img.height * s)));
}

/** Whole photo + its four quadrants, each fitted to TILE_LONG_SIDE. */
export async function photoTiles(photo: RgbImage): Promise<RgbImage[]> {
  const hw = Math.floor(photo.width / 2);
  const hh = Math.floor(photo.height / 2);
  const regions: [number, number, number, number][] = [
    [0, 0, hw, hh],
    [hw, 0, photo.width - hw, hh],
    [0, hh, hw, photo.height - hh],
    [hw, hh, photo.width - hw, photo.height - hh],
  ];
  const out = [await fitLongSide(photo, TILE_LONG_SIDE)];
  for (const [l, t, w, h] of regions) out.push(await fitLongSide(await crop(photo, l, t, w, h), TILE_LONG_SIDE));
  return out;
}

function gaussianKernel(size: number, sigma: number): Float64Array {
  const k = new Float64Array(size);
  const r = (size - 1) / 2;
  let s = 0;
  for (let i = 0; i < size; i++) {
    k[i] = Math.exp(-((i - r) ** 2) / (2 * sigma * sigma));
    s += k[i];
  }
  for (let i = 0; i < size; i++) k[i] /= s;
  return k;
}

/** Separable gaussian blur with edge replication (torchvision GaussianBlur pads by reflection; close enough). */
export function gaussianBlur(img: RgbImage, size = 11, sigma = 2): RgbImage {
  const k = gaussianKernel(size, sigma);
  const r = (size - 1) / 2;
  const { width: w, height: h, data } = img;
  const tmp = new Float64Array(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let i = 0; i < size; i++) {
          const xx = Math.min(w - 1, Math.max(0, x + i - r));
          s += k[i] * data[(y * w + xx) * 3 + c];
        }
        tmp[(y * w + x) * 3 + c] = s;
      }
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let i = 0; i < size; i++) {
          const yy = Math.min(h - 1, Math.max(0, y + i - r));
          s += k[i] * tmp[(yy * w + x) * 3 + c];
        }
        out[(y * w + x) * 3 + c] = Math.min(255, Math.max(0, Math.round(s)));
      }
  return { width: w, height: h, data: out };
}

/** torchvision adjust_contrast: blend with the mean of the grayscale image. */
export function adjustContrast(img: RgbImage, factor: number): RgbImage {
  const { data } = img;
  let sum = 0;
  const n = img.width * img.height;
  for (let i = 0; i < n; i++) sum += 0.299 * data[i * 3] + 0.587 * data[i * 3 + 1] + 0.114 * data[i * 3 + 2];
  const mean = sum / n;
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    out[i] = Math.min(255, Math.max(0, Math.round(factor * data[i] + (1 - factor) * mean)));
  }
  return { width: img.width, height: img.height, data: out };
}

export async function jpegRoundTrip(img: RgbImage, quality: number): Promise<RgbImage> {
  const buf = await fromRaw(img).jpeg({ quality, mozjpeg: false, chromaSubsampling: '4:2:0' }).toBuffer();
  return decodeRgb(buf);
}

export async function applyTransform(img: RgbImage, t: TransformName): Promise<RgbImage> {
  switch (t) {
    case 'jpeg50':
      return jpegRoundTrip(img, 50);
    case 'crop50': {
      const f = Math.SQRT1_2;
      const w = Math.round(img.width * f);
      const h = Math.round(img.height * f);
      return crop(img, Math.floor((img.width - w) / 2), Math.floor((img.height - h) / 2), w, h);
    }
    case 'contrast2':
      return adjustContrast(img, 2);
    case 'blur':
      return gaussianBlur(img, 11, 2);
    case 'resize50':
      return resizeTo(img, Math.round(img.width * Math.SQRT1_2), Math.round(img.height * Math.SQRT1_2));
  }
}

/** Square resize to 224x224 and convert to planar NCHW float32 in [0,1], written into `out` at `offset`. */
export async function toExtractorInput(img: RgbImage, out: Float32Array, offset: number): Promise<void> {
  const r = await resizeTo(img, INPUT_SIZE, INPUT_SIZE);
  const plane = INPUT_SIZE * INPUT_SIZE;
  for (let i = 0; i < plane; i++) {
    out[offset + i] = r.data[i * 3] / 255;
    out[offset + plane + i] = r.data[i * 3 + 1] / 255;
    out[offset + 2 * plane + i] = r.data[i * 3 + 2] / 255;
  }
}
