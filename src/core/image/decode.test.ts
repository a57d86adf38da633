import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { FindableError } from '../errors';
import {
  abortable,
  DEFAULT_MAX_PIXELS,
  flattenRgbaOnto,
  type ImageFormat,
  precheckImage,
  readImageHeader,
  sniffFormat,
} from './decode';

// Small images of every supported format, made with sharp (BMP by hand: sharp cannot write it).
const W = 37;
const H = 23;
const samples: Partial<Record<string, Uint8Array>> = {};

function u8(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

function bmp(width: number, height: number, topDown = false): Uint8Array {
  const rowSize = Math.floor((24 * width + 31) / 32) * 4;
  const out = Buffer.alloc(54 + rowSize * height);
  out.write('BM', 0, 'latin1');
  out.writeUInt32LE(out.length, 2);
  out.writeUInt32LE(54, 10);
  out.writeUInt32LE(40, 14);
  out.writeInt32LE(width, 18);
  out.writeInt32LE(topDown ? -height : height, 22);
  out.writeUInt16LE(1, 26);
  out.writeUInt16LE(24, 28);
  return u8(out);
}

/** Rewrites the major brand of an AVIF to 'heic' and drops the compatible brands that say AVIF. */
function asHeic(avif: Uint8Array): Uint8Array {
  const out = avif.slice();
  const ftypSize = new DataView(out.buffer).getUint32(0);
  for (let o = 8; o + 4 <= ftypSize; o += 4) {
    const brand = String.fromCharCode(...out.subarray(o, o + 4));
    if (o === 8 || brand === 'avif' || brand === 'avis') out.set([0x68, 0x65, 0x69, 0x63], o); // 'heic'
  }
  return out;
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof FindableError ? e.code : `not a FindableError: ${e}`;
  }
  return undefined;
}

function errorOf(fn: () => unknown): FindableError {
  try {
    fn();
  } catch (e) {
    if (e instanceof FindableError) return e;
    throw e;
  }
  throw new Error('expected an error');
}

beforeAll(async () => {
  const base = sharp({ create: { width: W, height: H, channels: 3, background: { r: 200, g: 40, b: 90 } } });
  const withAlpha = sharp({
    create: { width: W, height: H, channels: 4, background: { r: 0, g: 0, b: 255, alpha: 0.5 } },
  });
  samples.jpeg = u8(await base.clone().jpeg().toBuffer());
  samples.jpegProgressive = u8(await base.clone().jpeg({ progressive: true }).toBuffer());
  samples.jpegExif = u8(
    await base
      .clone()
      .jpeg()
      .withExif({ IFD0: { Copyright: 'test' } })
      .toBuffer(),
  );
  samples.png = u8(await base.clone().png().toBuffer());
  samples.webpLossy = u8(await base.clone().webp().toBuffer());
  samples.webpLossless = u8(await withAlpha.clone().webp({ lossless: true }).toBuffer());
  samples.webpAlpha = u8(await withAlpha.clone().webp().toBuffer());
  samples.webpExif = u8(
    await base
      .clone()
      .webp()
      .withExif({ IFD0: { Copyright: 'test' } })
      .toBuffer(),
  );
  samples.gif = u8(await base.clone().gif().toBuffer());
  samples.avif = u8(await base.clone().avif({ effort: 0 }).toBuffer());
  samples.tiff = u8(await base.clone().tiff().toBuffer());
  samples.tiffBigEndian = u8(await base.clone().tiff({ compression: 'lzw' }).toBuffer());
  samples.bmp = bmp(W, H);
  samples.bmpTopDown = bmp(W, H, true);
  samples.heic = asHeic(samples.avif);
});

describe('sniffFormat + readImageHeader: format and size from the header of each format', () => {
  const cases: [string, ImageFormat][] = [
    ['jpeg', 'jpeg'],
    ['jpegProgressive', 'jpeg'],
    ['png', 'png'],
    ['webpLossy', 'webp'],
    ['webpLossless', 'webp'],
    ['webpAlpha', 'webp'],
    ['gif', 'gif'],
    ['avif', 'avif'],
    ['heic', 'heif'],
    ['tiff', 'tiff'],
    ['tiffBigEndian', 'tiff'],
    ['bmp', 'bmp'],
    ['bmpTopDown', 'bmp'],
  ];
  it.each(cases)('%s -> %s, %ix%i', (name, format) => {
    const bytes = samples[name]!;
    expect(sniffFormat(bytes)).toBe(format);
    const header = readImageHeader(bytes);
    expect(header).toMatchObject({ format, width: W, height: H });
    expect(header.integrityProblem).toBeUndefined();
    expect(precheckImage(bytes)).toMatchObject({ format, width: W, height: H });
  });

  it('reports the MIME type the browser decoder needs', () => {
    expect(readImageHeader(samples.avif!).mimeType).toBe('image/avif');
    expect(readImageHeader(samples.webpLossy!).mimeType).toBe('image/webp');
  });

  it('sees EXIF blocks in JPEG and WebP', () => {
    expect(readImageHeader(samples.jpeg!).hasExif).toBe(false);
    expect(readImageHeader(samples.jpegExif!).hasExif).toBe(true);
    expect(readImageHeader(samples.webpLossy!).hasExif).toBe(false);
    expect(readImageHeader(samples.webpExif!).hasExif).toBe(true);
    expect(readImageHeader(samples.png!).hasExif).toBe(false);
  });

  it('reads big sizes from the header alone (no pixels needed)', () => {
    // A PNG signature + IHDR for 30000 x 20000 and nothing else: the size is readable, the file is truncated.
    const png = Buffer.alloc(33);
    png.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    png.writeUInt32BE(13, 8);
    png.write('IHDR', 12, 'latin1');
    png.writeUInt32BE(30000, 16);
    png.writeUInt32BE(20000, 20);
    png[24] = 8;
    png[25] = 2;
    const header = readImageHeader(u8(png));
    expect(header).toMatchObject({ format: 'png', width: 30000, height: 20000 });
    expect(header.integrityProblem).toMatch(/truncated/);
  });
});

describe('precheckImage: typed errors before any pixel decode', () => {
  it('zero bytes -> IMAGE_EMPTY', () => {
    const e = errorOf(() => precheckImage(new Uint8Array(0)));
    expect(e.code).toBe('IMAGE_EMPTY');
    expect(e.message).toMatch(/empty/);
  });

  it('unknown magic bytes -> IMAGE_UNSUPPORTED, with the first bytes in details', () => {
    const text = new TextEncoder().encode('hello, this is not an image');
    const e = errorOf(() => precheckImage(text));
    expect(e.code).toBe('IMAGE_UNSUPPORTED');
    expect(e.details).toMatchObject({ byteLength: text.length, magic: '68 65 6c 6c 6f 2c 20 74' });
    expect(e.message).toMatch(/Convert it to JPEG or PNG/);
    // Text that starts like a BMP ('BM') is still not a BMP.
    expect(codeOf(() => precheckImage(new TextEncoder().encode('BMW owners club newsletter, issue 12')))).toBe(
      'IMAGE_UNSUPPORTED',
    );
    // An ISO-BMFF file that is not an image (MP4).
    const mp4 = Buffer.alloc(32);
    mp4.writeUInt32BE(24, 0);
    mp4.write('ftypisom', 4, 'latin1');
    expect(codeOf(() => precheckImage(u8(mp4)))).toBe('IMAGE_UNSUPPORTED');
  });

  it('a known signature with an unreadable header -> IMAGE_CORRUPT', () => {
    expect(codeOf(() => precheckImage(new Uint8Array([0xff, 0xd8, 0xff, 0, 0, 0, 0, 0])))).toBe('IMAGE_CORRUPT');
    expect(codeOf(() => precheckImage(samples.png!.subarray(0, 12)))).toBe('IMAGE_CORRUPT');
    expect(codeOf(() => precheckImage(samples.gif!.subarray(0, 7)))).toBe('IMAGE_CORRUPT');
    expect(codeOf(() => precheckImage(samples.webpLossy!.subarray(0, 14)))).toBe('IMAGE_CORRUPT');
    expect(codeOf(() => precheckImage(samples.avif!.subarray(0, 40)))).toBe('IMAGE_CORRUPT');
  });

  it.each(['jpeg', 'jpegProgressive', 'png', 'webpLossy', 'webpLossless', 'gif', 'avif', 'bmp'])(
    '%s cut short -> IMAGE_CORRUPT (truncated), with format and size in details',
    (name) => {
      const full = samples[name]!;
      const cut = full.subarray(0, full.length - Math.max(2, full.length >> 3));
      const e = errorOf(() => precheckImage(cut));
      expect(e.code).toBe('IMAGE_CORRUPT');
      expect(e.message).toMatch(/truncated/);
      expect(e.details).toMatchObject({ format: sniffFormat(full), width: W, height: H, byteLength: cut.length });
    },
  );

  it('a JPEG with data after its end-of-image marker (motion photo, trailer) is fine', () => {
    const withTrailer = new Uint8Array(samples.jpeg!.length + 1000);
    withTrailer.set(samples.jpeg!);
    withTrailer.fill(0xab, samples.jpeg!.length);
    expect(precheckImage(withTrailer)).toMatchObject({ format: 'jpeg', width: W, height: H });
  });

  it('more pixels than maxPixels -> IMAGE_TOO_LARGE with format, size and limit, before the truncation check', () => {
    const e = errorOf(() => precheckImage(samples.png!, { maxPixels: W * H - 1 }));
    expect(e.code).toBe('IMAGE_TOO_LARGE');
    expect(e.details).toMatchObject({ format: 'png', width: W, height: H, limit: W * H - 1 });
    expect(e.message).toMatch(/Resize it/);
    expect(precheckImage(samples.png!, { maxPixels: W * H }).width).toBe(W);
    // Truncated AND too large: the size is what the person must fix first.
    const cut = samples.jpeg!.subarray(0, samples.jpeg!.length - 10);
    expect(codeOf(() => precheckImage(cut, { maxPixels: 100 }))).toBe('IMAGE_TOO_LARGE');
    expect(DEFAULT_MAX_PIXELS).toBe(100_000_000);
  });

  it('an invalid maxPixels -> INVALID_ARGUMENT; an aborted signal -> ABORTED', () => {
    expect(codeOf(() => precheckImage(samples.png!, { maxPixels: 0 }))).toBe('INVALID_ARGUMENT');
    const ac = new AbortController();
    ac.abort();
    expect(codeOf(() => precheckImage(samples.png!, { signal: ac.signal }))).toBe('ABORTED');
  });
});

describe('flattenRgbaOnto', () => {
  it('keeps opaque pixels, composites others onto white with rounding', () => {
    const rgba = new Uint8Array([10, 20, 30, 255, 0, 0, 0, 0, 0, 0, 255, 128, 255, 0, 0, 1]);
    const { data, alphaFlattened } = flattenRgbaOnto(rgba, 2, 2);
    expect(Array.from(data)).toEqual([10, 20, 30, 255, 255, 255, 127, 127, 255, 255, 254, 254]);
    expect(alphaFlattened).toBe(true);
    expect(flattenRgbaOnto(new Uint8Array([1, 2, 3, 255]), 1, 1).alphaFlattened).toBe(false);
    expect(() => flattenRgbaOnto(new Uint8Array(3), 1, 1)).toThrow(FindableError);
  });
});

describe('abortable', () => {
  it('rejects with ABORTED when the signal fires first, otherwise passes the result through', async () => {
    const ac = new AbortController();
    const never = new Promise<number>(() => {});
    const p = abortable(never, ac.signal);
    ac.abort();
    await expect(p).rejects.toMatchObject({ code: 'ABORTED' });
    await expect(abortable(Promise.resolve(7), new AbortController().signal)).resolves.toBe(7);
  });
});
