/**
 * Browser implementation of ImageDecoder: createImageBitmap + OffscreenCanvas. Uses no `document`, so it
 * works on the main thread and inside (module) Web Workers alike.
 *
 * Pipeline: shared pre-check (decode.ts; catches truncation that Chromium would silently paint grey) ->
 * createImageBitmap(blob, { imageOrientation: 'from-image', colorSpaceConversion: 'default',
 * premultiplyAlpha: 'none' }) -> draw on an sRGB OffscreenCanvas -> getImageData -> flattenRgbaOnto
 * (white, same formula as Node) -> interleaved RGB.
 */
import { FindableError, throwIfAborted } from '../errors';
import {
  abortable,
  checkPixelLimit,
  type DecodedImage,
  type DecodeOptions,
  decoderFailure,
  flattenRgbaOnto,
  type ImageDecoder,
  type ImageFormat,
  precheckImage,
  resolveMaxPixels,
} from './decode';

/** Browsers commonly lack HEIC (HEVC) and TIFF: a decode failure for those means "unsupported". */
const BROWSER_MAY_LACK: ReadonlySet<ImageFormat> = new Set<ImageFormat>(['heif', 'tiff']);

function toBlob(bytes: Uint8Array, type: string): Blob {
  // Blob needs an ArrayBuffer-backed view (not SharedArrayBuffer); copy only when necessary.
  const view = bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : bytes.slice();
  return new Blob([view], { type });
}

export class BrowserImageDecoder implements ImageDecoder {
  async decode(bytes: Uint8Array, options?: DecodeOptions): Promise<DecodedImage> {
    const header = precheckImage(bytes, options);
    const maxPixels = resolveMaxPixels(options);
    const signal = options?.signal;
    if (typeof createImageBitmap !== 'function' || typeof OffscreenCanvas !== 'function') {
      throw new FindableError(
        'BACKEND_UNAVAILABLE',
        'This browser lacks createImageBitmap or OffscreenCanvas, which image decoding needs. Update the browser.',
        { format: header.format },
      );
    }
    let bitmap: ImageBitmap;
    try {
      bitmap = await abortable(
        createImageBitmap(toBlob(bytes, header.mimeType), {
          imageOrientation: 'from-image',
          colorSpaceConversion: 'default',
          premultiplyAlpha: 'none',
        }),
        signal,
        (late) => late.close(),
      );
    } catch (e) {
      throwIfAborted(signal);
      const reason = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      throw decoderFailure(header, BROWSER_MAY_LACK, bytes.length, reason, e);
    }
    try {
      throwIfAborted(signal);
      const { width, height } = bitmap;
      checkPixelLimit(header.format, width, height, maxPixels);
      const canvas = new OffscreenCanvas(width, height);
      const ctx = canvas.getContext('2d', { alpha: true, colorSpace: 'srgb', willReadFrequently: true });
      if (!ctx) {
        throw new FindableError('BACKEND_UNAVAILABLE', 'Could not create a 2D canvas to read the decoded pixels.', {
          format: header.format,
          width,
          height,
        });
      }
      ctx.drawImage(bitmap, 0, 0);
      const rgba = ctx.getImageData(0, 0, width, height, { colorSpace: 'srgb' }).data;
      const { data, alphaFlattened } = flattenRgbaOnto(rgba, width, height);
      return {
        width,
        height,
        data,
        format: header.format,
        originalWidth: header.width,
        originalHeight: header.height,
        alphaFlattened,
        ...(header.hasExif === undefined ? {} : { hasExif: header.hasExif }),
      };
    } finally {
      bitmap.close();
    }
  }
}

/** A ready-to-use browser decoder. */
export const browserImageDecoder: ImageDecoder = new BrowserImageDecoder();

/** Decodes bytes to upright sRGB RGB with the browser decoder. */
export function decodeImage(bytes: Uint8Array, options?: DecodeOptions): Promise<DecodedImage> {
  return browserImageDecoder.decode(bytes, options);
}
