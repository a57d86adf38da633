/**
 * Pixels -> files in the worker: PNG (default, lossless) or JPEG via OffscreenCanvas.convertToBlob, the
 * history thumbnail, and the amplified difference image. No image math beyond format conversion.
 */
import type { RgbImage } from '../src/core/image/types';
import type { OutputOptions } from './protocol';

/** Interleaved RGB -> RGBA (opaque), what ImageData wants. */
export function rgbToRgba(img: RgbImage): Uint8ClampedArray<ArrayBuffer> {
  const n = img.width * img.height;
  const out = new Uint8ClampedArray(n * 4);
  for (let i = 0, j = 0; i < n; i++, j += 4) {
    out[j] = img.data[i * 3];
    out[j + 1] = img.data[i * 3 + 1];
    out[j + 2] = img.data[i * 3 + 2];
    out[j + 3] = 255;
  }
  return out;
}

function canvasOf(img: RgbImage): OffscreenCanvas {
  const canvas = new OffscreenCanvas(img.width, img.height);
  const ctx = canvas.getContext('2d', { colorSpace: 'srgb' });
  if (!ctx) throw new Error('No 2D canvas in this worker');
  ctx.putImageData(new ImageData(rgbToRgba(img), img.width, img.height, { colorSpace: 'srgb' }), 0, 0);
  return canvas;
}

export async function encodeImage(
  img: RgbImage,
  options: OutputOptions,
): Promise<{ bytes: ArrayBuffer; mime: string; extension: 'png' | 'jpg' }> {
  const jpeg = options.format === 'jpeg';
  const mime = jpeg ? 'image/jpeg' : 'image/png';
  const blob = await canvasOf(img).convertToBlob(jpeg ? { type: mime, quality: options.quality } : { type: mime });
  return { bytes: await blob.arrayBuffer(), mime, extension: jpeg ? 'jpg' : 'png' };
}

/** A JPEG preview whose long side is at most `side` pixels (browser resampling: display only). */
export async function thumbnail(img: RgbImage, side = 160): Promise<ArrayBuffer> {
  const scale = Math.min(1, side / Math.max(img.width, img.height));
  const w = Math.max(1, Math.round(img.width * scale));
  const h = Math.max(1, Math.round(img.height * scale));
  const source = canvasOf(img);
  const canvas = new OffscreenCanvas(w, h);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('No 2D canvas in this worker');
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(source, 0, 0, w, h);
  return (await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.8 })).arrayBuffer();
}
