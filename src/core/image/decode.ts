/**
 * Image decoding: the platform-neutral contract and the checks both platforms run before any pixel
 * is decoded.
 *
 * This module is DOM-free and Node-free. The implementations live in decode.node.ts (sharp) and
 * decode.browser.ts (createImageBitmap + OffscreenCanvas, also inside Web Workers). Both run
 * `precheckImage` first, so that an empty, unknown, truncated or oversized file gets the same typed
 * error on every platform, and a decompression bomb is refused from its header alone, before a decoder
 * allocates anything.
 *
 * Choices shared by both implementations:
 * - EXIF orientation is applied: the returned pixels are upright as a viewer would show them.
 * - Pixels are converted to sRGB (embedded ICC profiles are honoured by both decoders).
 * - Alpha is flattened onto WHITE (FLATTEN_BACKGROUND), with the same integer formula on both
 *   platforms (flattenRgbaOnto). White is what a transparent PNG looks like on a typical web page
 *   and in most viewers, so the indexed pixels match what a person sees when the image is published.
 * - Animated GIF/WebP/AVIF: the first frame only.
 */
import { BMP } from 'image-size/types/bmp';
import { GIF } from 'image-size/types/gif';
import { HEIF } from 'image-size/types/heif';
import { JPG } from 'image-size/types/jpg';
import { PNG } from 'image-size/types/png';
import { TIFF } from 'image-size/types/tiff';
import { WEBP } from 'image-size/types/webp';
import { FindableError, throwIfAborted } from '../errors';
import type { RgbImage } from './types';

/** Formats recognised by their magic bytes. 'heif' is HEIF with HEVC (HEIC); AVIF is 'avif'. */
export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'avif' | 'heif' | 'tiff' | 'bmp';

/** 100 megapixels: above this an image is refused from its header (a decoded RGBA copy is 400 MB). */
export const DEFAULT_MAX_PIXELS = 100_000_000;

/** The colour transparent pixels are composited onto (sRGB, 0..255). See the module comment. */
export const FLATTEN_BACKGROUND: readonly [number, number, number] = [255, 255, 255];

export const FORMAT_MIME_TYPES: Readonly<Record<ImageFormat, string>> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  gif: 'image/gif',
  avif: 'image/avif',
  heif: 'image/heic',
  tiff: 'image/tiff',
  bmp: 'image/bmp',
};

export interface DecodeOptions {
  /** Refuse images with more pixels than this (IMAGE_TOO_LARGE). Default DEFAULT_MAX_PIXELS. */
  maxPixels?: number;
  /** Abort the decode (ABORTED). The native decode may finish in the background; its result is dropped. */
  signal?: AbortSignal;
}

export interface DecodedImage extends RgbImage {
  /** Format sniffed from the magic bytes. */
  readonly format: ImageFormat;
  /** Size as stored in the file header, BEFORE EXIF orientation (width/height are after it). */
  readonly originalWidth: number;
  readonly originalHeight: number;
  /** True when at least one pixel was not fully opaque and was composited onto FLATTEN_BACKGROUND. */
  readonly alphaFlattened: boolean;
  /** Whether the file carries an EXIF block; undefined for formats where this is not checked (TIFF, BMP, GIF). */
  readonly hasExif?: boolean;
}

export interface ImageDecoder {
  decode(bytes: Uint8Array, options?: DecodeOptions): Promise<DecodedImage>;
}

/** What the pre-check learned from the header and the container structure. */
export interface ImageHeader {
  readonly format: ImageFormat;
  readonly mimeType: string;
  readonly width: number;
  readonly height: number;
  readonly hasExif?: boolean;
  /** Set when the container is truncated or malformed; precheckImage turns it into IMAGE_CORRUPT. */
  readonly integrityProblem?: string;
}

const HEIF_AVIF_BRANDS = new Set(['avif', 'avis']);
const HEIF_HEVC_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'hevm', 'hevs']);
const HEIF_GENERIC_BRANDS = new Set(['mif1', 'msf1', 'mif2', 'miaf']);
const BMP_DIB_HEADER_SIZES = new Set([12, 40, 52, 56, 64, 108, 124]);

function ascii(bytes: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end && i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return s;
}

function be16(b: Uint8Array, o: number): number {
  return (b[o] << 8) | b[o + 1];
}

function be32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

function le32(b: Uint8Array, o: number): number {
  return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
}

function le16(b: Uint8Array, o: number): number {
  return b[o] | (b[o + 1] << 8);
}

/** Format from the magic bytes, or undefined when it is none of the supported formats. */
export function sniffFormat(bytes: Uint8Array): ImageFormat | undefined {
  const n = bytes.length;
  if (n >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (n >= 8 && be32(bytes, 0) === 0x89504e47 && be32(bytes, 4) === 0x0d0a1a0a) return 'png';
  if (n >= 6) {
    const six = ascii(bytes, 0, 6);
    if (six === 'GIF87a' || six === 'GIF89a') return 'gif';
  }
  if (n >= 12 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP') return 'webp';
  if (n >= 12 && ascii(bytes, 4, 8) === 'ftyp') {
    const size = be32(bytes, 0);
    const end = Math.min(n, Math.max(size, 16), 16 + 4 * 64); // at most 64 compatible brands
    const brands = [ascii(bytes, 8, 12)];
    for (let o = 16; o + 4 <= end; o += 4) brands.push(ascii(bytes, o, o + 4));
    if (brands.some((b) => HEIF_AVIF_BRANDS.has(b))) return 'avif';
    if (brands.some((b) => HEIF_HEVC_BRANDS.has(b) || HEIF_GENERIC_BRANDS.has(b))) return 'heif';
    return undefined;
  }
  if (n >= 4) {
    const m = be32(bytes, 0);
    // II*\0, MM\0*, and BigTIFF II+\0, MM\0+
    if (m === 0x49492a00 || m === 0x4d4d002a || m === 0x49492b00 || m === 0x4d4d002b) return 'tiff';
  }
  if (n >= 18 && bytes[0] === 0x42 && bytes[1] === 0x4d && BMP_DIB_HEADER_SIZES.has(le32(bytes, 14))) return 'bmp';
  return undefined;
}

/** Result of walking a container: whether it is complete, plus facts found on the way. */
interface Structure {
  /** Undefined when complete; otherwise why the data ends too early or is malformed. */
  readonly problem?: string;
  readonly hasExif?: boolean;
  /** Dimensions found by the walk (used when the header library cannot read them). */
  readonly width?: number;
  readonly height?: number;
}

function isJpegSof(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

/**
 * Walks JPEG segments and entropy-coded scans up to the EOI marker. Data after EOI (motion-photo videos,
 * maker trailers) is allowed. Chromium paints a truncated JPEG grey without an error, libjpeg warns:
 * this walk makes both platforms call it IMAGE_CORRUPT.
 */
function walkJpeg(b: Uint8Array): Structure {
  const n = b.length;
  let pos = 2;
  let hasExif = false;
  let width: number | undefined;
  let height: number | undefined;
  for (;;) {
    // Find the next marker (tolerate stray bytes before it, as libjpeg does).
    pos = b.indexOf(0xff, pos);
    if (pos < 0) return { problem: 'ends before the end-of-image marker (truncated)', hasExif, width, height };
    while (pos < n && b[pos] === 0xff) pos++;
    if (pos >= n) return { problem: 'ends before the end-of-image marker (truncated)', hasExif, width, height };
    const marker = b[pos++];
    if (marker === 0xd9) return { hasExif, width, height };
    if (marker === 0x00 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) continue;
    if (pos + 2 > n) return { problem: 'ends inside a segment header (truncated)', hasExif, width, height };
    const len = be16(b, pos);
    if (len < 2) return { problem: `has an invalid segment length ${len}`, hasExif, width, height };
    if (pos + len > n) return { problem: 'ends inside a segment (truncated)', hasExif, width, height };
    if (isJpegSof(marker) && len >= 8 && width === undefined) {
      height = be16(b, pos + 3);
      width = be16(b, pos + 5);
    }
    if (marker === 0xe1 && len >= 8 && ascii(b, pos + 2, pos + 8) === 'Exif\0\0') hasExif = true;
    pos += len;
    if (marker === 0xda) {
      // Entropy-coded data: skip stuffed 0xFF00 and restart markers until a real marker.
      for (;;) {
        pos = b.indexOf(0xff, pos);
        if (pos < 0 || pos + 1 >= n) {
          return { problem: 'ends inside the compressed image data (truncated)', hasExif, width, height };
        }
        const next = b[pos + 1];
        if (next === 0x00 || (next >= 0xd0 && next <= 0xd7)) pos += 2;
        else if (next === 0xff) pos += 1;
        else break;
      }
    }
  }
}

/** Walks PNG chunks up to IEND; CRCs are left to the decoders. */
function walkPng(b: Uint8Array): Structure {
  const n = b.length;
  let pos = 8;
  let hasExif = false;
  let width: number | undefined;
  let height: number | undefined;
  let first = true;
  for (;;) {
    if (pos + 8 > n) return { problem: 'ends before the IEND chunk (truncated)', hasExif, width, height };
    const len = be32(b, pos);
    const type = ascii(b, pos + 4, pos + 8);
    if (len > 0x7fffffff) return { problem: `has an invalid chunk length in ${type}`, hasExif, width, height };
    if (pos + 12 + len > n) return { problem: `ends inside the ${type} chunk (truncated)`, hasExif, width, height };
    if (first) {
      if (type !== 'IHDR' || len !== 13) return { problem: 'does not start with an IHDR chunk', hasExif };
      width = be32(b, pos + 8);
      height = be32(b, pos + 12);
      first = false;
    }
    if (type === 'eXIf') hasExif = true;
    if (type === 'IEND') return { hasExif, width, height };
    pos += 12 + len;
  }
}

/** Checks the RIFF size and walks the WebP chunks. */
function walkWebp(b: Uint8Array): Structure {
  const n = b.length;
  const riffEnd = 8 + le32(b, 4);
  if (riffEnd > n) return { problem: `is ${n} bytes but its RIFF header says ${riffEnd} (truncated)` };
  let hasExif = false;
  let pos = 12;
  while (pos + 8 <= riffEnd) {
    const type = ascii(b, pos, pos + 4);
    const size = le32(b, pos + 4);
    if (pos + 8 + size > riffEnd) return { problem: `ends inside the ${type.trim()} chunk (truncated)`, hasExif };
    if (type === 'EXIF') hasExif = true;
    pos += 8 + size + (size & 1);
  }
  return { hasExif };
}

/** Walks the top-level ISO-BMFF boxes (AVIF/HEIF): every box must fit in the file. */
function walkBmff(b: Uint8Array): Structure {
  const n = b.length;
  let pos = 0;
  let hasExif = false;
  let sawMeta = false;
  while (pos < n) {
    if (pos + 8 > n) return { problem: 'ends inside a box header (truncated)', hasExif };
    let size = be32(b, pos);
    const type = ascii(b, pos + 4, pos + 8);
    if (size === 1) {
      if (pos + 16 > n) return { problem: 'ends inside a box header (truncated)', hasExif };
      const hi = be32(b, pos + 8);
      size = hi * 0x100000000 + be32(b, pos + 12);
    } else if (size === 0) {
      size = n - pos;
    }
    if (size < 8) return { problem: `has an invalid ${type} box size`, hasExif };
    if (pos + size > n) return { problem: `ends inside the ${type} box (truncated)`, hasExif };
    if (type === 'meta') {
      sawMeta = true;
      // An item of type 'Exif' is declared in the item info box inside meta.
      for (let i = pos + 8; i + 4 <= pos + size; i++) {
        if (b[i] === 0x45 && b[i + 1] === 0x78 && b[i + 2] === 0x69 && b[i + 3] === 0x66) {
          hasExif = true;
          break;
        }
      }
    }
    pos += size;
  }
  if (!sawMeta) return { problem: 'has no meta box', hasExif };
  return { hasExif };
}

/** Walks GIF blocks: running out of data inside a block is truncation; a missing trailer is tolerated. */
function walkGif(b: Uint8Array): Structure {
  const n = b.length;
  if (n < 13) return { problem: 'ends inside the screen descriptor (truncated)' };
  let pos = 13;
  const flags = b[10];
  if (flags & 0x80) pos += 3 * (1 << ((flags & 7) + 1));
  let images = 0;
  const skipSubBlocks = (): boolean => {
    for (;;) {
      if (pos >= n) return false;
      const len = b[pos++];
      if (len === 0) return true;
      pos += len;
    }
  };
  while (pos < n) {
    const tag = b[pos++];
    if (tag === 0x3b) break;
    if (tag === 0x21) {
      pos++; // label
      if (!skipSubBlocks()) return { problem: 'ends inside an extension block (truncated)' };
    } else if (tag === 0x2c) {
      if (pos + 9 > n) return { problem: 'ends inside an image descriptor (truncated)' };
      const f = b[pos + 8];
      pos += 9;
      if (f & 0x80) pos += 3 * (1 << ((f & 7) + 1));
      pos++; // LZW minimum code size
      if (!skipSubBlocks()) return { problem: 'ends inside the image data (truncated)' };
      images++;
    } else {
      return images > 0 ? {} : { problem: `has an unknown block 0x${tag.toString(16)} before any image` };
    }
  }
  return images > 0 ? {} : { problem: 'contains no image (truncated)' };
}

/** BMP: uncompressed pixel arrays must fit in the file (RLE and JPEG/PNG-in-BMP are left to decoders). */
function walkBmp(b: Uint8Array): Structure {
  const n = b.length;
  const dataOffset = le32(b, 10);
  const dibSize = le32(b, 14);
  if (dibSize === 12) {
    const w = le16(b, 18);
    const h = le16(b, 20);
    const bpp = le16(b, 24);
    const need = dataOffset + Math.floor((bpp * w + 31) / 32) * 4 * h;
    return need > n ? { problem: `is ${n} bytes but its pixels need ${need} (truncated)` } : {};
  }
  if (n < 14 + 20) return { problem: 'ends inside the BMP header (truncated)' };
  const w = le32(b, 18) | 0;
  const h = Math.abs(le32(b, 22) | 0);
  const bpp = le16(b, 28);
  const compression = le32(b, 30);
  if (compression === 0 || compression === 3 || compression === 6) {
    const need = dataOffset + Math.floor((bpp * w + 31) / 32) * 4 * h;
    if (need > n) return { problem: `is ${n} bytes but its pixels need ${need} (truncated)` };
  }
  return {};
}

function walkStructure(format: ImageFormat, bytes: Uint8Array): Structure {
  switch (format) {
    case 'jpeg':
      return walkJpeg(bytes);
    case 'png':
      return walkPng(bytes);
    case 'webp':
      return walkWebp(bytes);
    case 'avif':
    case 'heif':
      return walkBmff(bytes);
    case 'gif':
      return walkGif(bytes);
    case 'bmp':
      return walkBmp(bytes);
    case 'tiff':
      return {};
  }
}

const SIZE_READERS = {
  jpeg: JPG,
  png: PNG,
  webp: WEBP,
  gif: GIF,
  avif: HEIF,
  heif: HEIF,
  tiff: TIFF,
  bmp: BMP,
} as const;

function headerSize(format: ImageFormat, bytes: Uint8Array): { width: number; height: number } | undefined {
  try {
    const size = SIZE_READERS[format].calculate(bytes);
    return { width: size.width, height: size.height };
  } catch {
    return undefined;
  }
}

function validDimension(v: number | undefined): v is number {
  return v !== undefined && Number.isInteger(v) && v > 0;
}

function corrupt(format: ImageFormat, byteLength: number, why: string, extra?: Record<string, unknown>): FindableError {
  return new FindableError(
    'IMAGE_CORRUPT',
    `This ${format.toUpperCase()} file (${byteLength} bytes) ${why}. It may be damaged or only partly downloaded: ` +
      're-download or re-export it and try again.',
    { format, byteLength, ...extra },
  );
}

/**
 * Reads the format, the size and the container structure without decoding pixels.
 * Throws IMAGE_EMPTY (0 bytes), IMAGE_UNSUPPORTED (unknown magic bytes) or IMAGE_CORRUPT (unreadable
 * header). A truncated container is reported in `integrityProblem`, not thrown: precheckImage checks the
 * pixel limit first, then throws for it.
 */
export function readImageHeader(bytes: Uint8Array): ImageHeader {
  if (bytes.length === 0) {
    throw new FindableError(
      'IMAGE_EMPTY',
      'The file is empty (0 bytes). Check that it finished downloading or copying, then try again.',
      { byteLength: 0 },
    );
  }
  const format = sniffFormat(bytes);
  if (format === undefined) {
    const head = Array.from(bytes.subarray(0, 8), (x) => x.toString(16).padStart(2, '0')).join(' ');
    throw new FindableError(
      'IMAGE_UNSUPPORTED',
      `The file (${bytes.length} bytes, starting ${head}) is not a JPEG, PNG, WebP, GIF, AVIF, HEIF, TIFF or BMP image. ` +
        'Convert it to JPEG or PNG and try again.',
      { byteLength: bytes.length, magic: head },
    );
  }
  const structure = walkStructure(format, bytes);
  const size = headerSize(format, bytes);
  const width = size?.width ?? structure.width;
  const height = size?.height ?? structure.height;
  if (!validDimension(width) || !validDimension(height)) {
    throw corrupt(format, bytes.length, 'has no readable width and height in its header', { width, height });
  }
  const header: ImageHeader = {
    format,
    mimeType: FORMAT_MIME_TYPES[format],
    width,
    height,
    ...(structure.hasExif === undefined ? {} : { hasExif: structure.hasExif }),
    ...(structure.problem === undefined ? {} : { integrityProblem: structure.problem }),
  };
  return header;
}

export function resolveMaxPixels(options?: DecodeOptions): number {
  const max = options?.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (!(max > 0)) {
    throw new FindableError('INVALID_ARGUMENT', `maxPixels must be a positive number, got ${max}.`, { maxPixels: max });
  }
  return max;
}

/** IMAGE_TOO_LARGE when width*height exceeds the limit. */
export function checkPixelLimit(format: ImageFormat, width: number, height: number, maxPixels: number): void {
  const pixels = width * height;
  if (pixels > maxPixels) {
    const mp = (x: number) => `${(x / 1e6).toFixed(1)} MP`;
    throw new FindableError(
      'IMAGE_TOO_LARGE',
      `This ${format.toUpperCase()} image is ${width} x ${height} pixels (${mp(pixels)}), above the limit of ` +
        `${mp(maxPixels)}. Resize it to at most ${mp(maxPixels)} (for example ${Math.floor(Math.sqrt(maxPixels))} px ` +
        'square) and try again.',
      { format, width, height, pixels, limit: maxPixels },
    );
  }
}

/**
 * Every check both platforms run before decoding pixels, in this order: aborted? empty? known format?
 * readable size? size within maxPixels (before anything is allocated)? container complete (not truncated)?
 */
export function precheckImage(bytes: Uint8Array, options?: DecodeOptions): ImageHeader {
  throwIfAborted(options?.signal);
  const maxPixels = resolveMaxPixels(options);
  const header = readImageHeader(bytes);
  checkPixelLimit(header.format, header.width, header.height, maxPixels);
  if (header.integrityProblem !== undefined) {
    throw corrupt(header.format, bytes.length, header.integrityProblem, { width: header.width, height: header.height });
  }
  return header;
}

/**
 * Formats a platform's decoder may simply lack (so its failure means "unsupported", not "damaged"):
 * HEIF/HEIC (HEVC) everywhere, and TIFF in browsers.
 */
export function decoderFailure(
  header: ImageHeader,
  platformMayLack: ReadonlySet<ImageFormat>,
  byteLength: number,
  reason: string,
  cause: unknown,
): FindableError {
  const details = { format: header.format, width: header.width, height: header.height, byteLength, reason };
  if (platformMayLack.has(header.format)) {
    return new FindableError(
      'IMAGE_UNSUPPORTED',
      `This ${header.format.toUpperCase()} image cannot be decoded here (${reason}). Convert it to JPEG or PNG and try again.`,
      details,
      { cause },
    );
  }
  return new FindableError(
    'IMAGE_CORRUPT',
    `This ${header.format.toUpperCase()} image (${header.width} x ${header.height}) could not be decoded (${reason}). ` +
      'It may be damaged: re-export it and try again.',
    details,
    { cause },
  );
}

/**
 * Composites interleaved RGBA (straight, not premultiplied, alpha) onto an opaque background:
 * out = round((c * a + bg * (255 - a)) / 255). Returns interleaved RGB and whether any pixel was not opaque.
 */
export function flattenRgbaOnto(
  rgba: Uint8Array | Uint8ClampedArray,
  width: number,
  height: number,
  background: readonly [number, number, number] = FLATTEN_BACKGROUND,
): { data: Uint8Array; alphaFlattened: boolean } {
  const count = width * height;
  if (rgba.length !== count * 4) {
    throw new FindableError(
      'SHAPE_MISMATCH',
      `Expected ${count * 4} RGBA bytes for ${width}x${height}, got ${rgba.length}.`,
    );
  }
  const out = new Uint8Array(count * 3);
  const [br, bg, bb] = background;
  let alphaFlattened = false;
  for (let i = 0, j = 0; i < count * 4; i += 4, j += 3) {
    const a = rgba[i + 3];
    if (a === 255) {
      out[j] = rgba[i];
      out[j + 1] = rgba[i + 1];
      out[j + 2] = rgba[i + 2];
    } else {
      alphaFlattened = true;
      const ia = 255 - a;
      out[j] = ((rgba[i] * a + br * ia + 127) / 255) | 0;
      out[j + 1] = ((rgba[i + 1] * a + bg * ia + 127) / 255) | 0;
      out[j + 2] = ((rgba[i + 2] * a + bb * ia + 127) / 255) | 0;
    }
  }
  return { data: out, alphaFlattened };
}

/**
 * Rejects with ABORTED as soon as the signal fires; otherwise settles like `promise`. A value that arrives
 * after the caller gave up is passed to `discard` (e.g. to close an ImageBitmap) instead of leaking.
 */
export function abortable<T>(
  promise: Promise<T>,
  signal: AbortSignal | undefined,
  discard?: (late: T) => void,
): Promise<T> {
  if (!signal) return promise;
  throwIfAborted(signal);
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const onAbort = () => {
      if (settled) return;
      settled = true;
      try {
        throwIfAborted(signal);
      } catch (e) {
        reject(e);
      }
    };
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        if (settled) discard?.(v);
        else {
          settled = true;
          resolve(v);
        }
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        if (!settled) {
          settled = true;
          reject(e);
        }
      },
    );
  });
}
