import sharp, { type Sharp } from 'sharp';
import { FindableError } from '../core/errors.ts';
import type { RgbImage } from '../core/image/types.ts';

export type OutputFormat = 'png' | 'jpeg';

export interface EncodeOptions {
  format: OutputFormat;
  /** JPEG quality 1-100 (default 95: high enough that the activation survives, see docs). */
  quality?: number;
  /**
   * The original file: when given, its EXIF (camera, date, GPS, copyright...) is carried over. Pixels are
   * always the activated ones, in sRGB (decoding converted them), so the output is tagged sRGB and the
   * EXIF orientation is reset (the rotation is already applied to the pixels).
   */
  metadataFrom?: Uint8Array;
}

function raw(img: RgbImage) {
  return { raw: { width: img.width, height: img.height, channels: 3 as const } };
}

export async function encodeImage(img: RgbImage, options: EncodeOptions): Promise<Buffer> {
  const quality = options.quality ?? 95;
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) {
    throw new FindableError('INVALID_ARGUMENT', `JPEG quality must be an integer from 1 to 100 (got ${quality}).`);
  }
  const pixels = Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength);
  let pipeline: Sharp;
  if (options.metadataFrom) {
    // Start from the original so sharp keeps its EXIF; .rotate() applies and clears the orientation;
    // the activated pixels then replace every original pixel ('source' blend).
    pipeline = sharp(options.metadataFrom, { failOn: 'none' })
      .rotate()
      .composite([{ input: pixels, ...raw(img), blend: 'source' }])
      .keepExif()
      .withIccProfile('srgb');
  } else {
    pipeline = sharp(pixels, raw(img));
  }
  return options.format === 'png'
    ? pipeline.png({ compressionLevel: 9 }).toBuffer()
    : pipeline.jpeg({ quality, chromaSubsampling: quality >= 90 ? '4:4:4' : '4:2:0' }).toBuffer();
}
