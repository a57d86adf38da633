/**
 * Node implementation of ImageDecoder with sharp (libvips).
 *
 * Pipeline: shared pre-check (decode.ts) -> sharp with failOn 'truncated' and limitInputPixels as a
 * second guard -> .rotate() (EXIF orientation) -> sRGB (embedded ICC profiles honoured) -> 8-bit raw.
 * Images with an alpha channel are decoded as RGBA and flattened onto white in JS with
 * flattenRgbaOnto, the same formula the browser implementation uses, so both platforms agree.
 */
import sharp from 'sharp';
import { FindableError, isFindableError, throwIfAborted } from '../errors';
import {
  abortable,
  checkPixelLimit,
  type DecodedImage,
  type DecodeOptions,
  decoderFailure,
  flattenRgbaOnto,
  type ImageDecoder,
  type ImageFormat,
  type ImageHeader,
  precheckImage,
  resolveMaxPixels,
} from './decode';

/** sharp's prebuilt libheif decodes AVIF but not HEVC (HEIC). */
const SHARP_MAY_LACK: ReadonlySet<ImageFormat> = new Set<ImageFormat>(['heif']);

function mapSharpError(e: unknown, header: ImageHeader, byteLength: number, maxPixels: number): FindableError {
  if (isFindableError(e)) return e;
  const message = e instanceof Error ? e.message : String(e);
  if (/exceeds pixel limit/i.test(message)) {
    // Only reachable if the header lied about the size; report what the header said.
    return new FindableError(
      'IMAGE_TOO_LARGE',
      `This ${header.format.toUpperCase()} image decodes to more than ${maxPixels} pixels. Resize it and try again.`,
      { format: header.format, width: header.width, height: header.height, limit: maxPixels },
      { cause: e },
    );
  }
  if (/unsupported image format|not a known file format|compression format has not been built in/i.test(message)) {
    return new FindableError(
      'IMAGE_UNSUPPORTED',
      `This ${header.format.toUpperCase()} image uses a variant this build cannot decode (${message}). ` +
        'Convert it to JPEG or PNG and try again.',
      { format: header.format, width: header.width, height: header.height, byteLength, reason: message },
      { cause: e },
    );
  }
  return decoderFailure(header, SHARP_MAY_LACK, byteLength, message, e);
}

export class SharpImageDecoder implements ImageDecoder {
  async decode(bytes: Uint8Array, options?: DecodeOptions): Promise<DecodedImage> {
    const header = precheckImage(bytes, options);
    const maxPixels = resolveMaxPixels(options);
    const signal = options?.signal;
    const input = () =>
      sharp(bytes, {
        failOn: 'truncated',
        limitInputPixels: maxPixels,
        pages: 1,
        page: 0,
      });
    try {
      const meta = await abortable(input().metadata(), signal);
      const hasAlpha = meta.hasAlpha === true;
      let pipeline = input().rotate().toColourspace('srgb');
      pipeline = hasAlpha ? pipeline.ensureAlpha() : pipeline.removeAlpha();
      const { data, info } = await abortable(
        pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true }),
        signal,
      );
      throwIfAborted(signal);
      checkPixelLimit(header.format, info.width, info.height, maxPixels);
      const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      let rgb: Uint8Array;
      let alphaFlattened = false;
      if (info.channels === 4) {
        const flat = flattenRgbaOnto(raw, info.width, info.height);
        rgb = flat.data;
        alphaFlattened = flat.alphaFlattened;
      } else if (info.channels === 3) {
        rgb = raw;
      } else {
        throw new FindableError('IMAGE_UNSUPPORTED', `Decoder produced ${info.channels} channels; expected 3 or 4.`, {
          format: header.format,
          channels: info.channels,
        });
      }
      return {
        width: info.width,
        height: info.height,
        data: rgb,
        format: header.format,
        originalWidth: header.width,
        originalHeight: header.height,
        alphaFlattened,
        ...(header.hasExif === undefined ? {} : { hasExif: header.hasExif }),
      };
    } catch (e) {
      throw mapSharpError(e, header, bytes.length, maxPixels);
    }
  }
}

/** A ready-to-use Node decoder. */
export const nodeImageDecoder: ImageDecoder = new SharpImageDecoder();

/** Decodes bytes to upright sRGB RGB with the Node decoder. */
export function decodeImage(bytes: Uint8Array, options?: DecodeOptions): Promise<DecodedImage> {
  return nodeImageDecoder.decode(bytes, options);
}
