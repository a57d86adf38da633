import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { FindableError } from '../errors';
import { nodeImageDecoder, SharpImageDecoder } from './decode.node';

const CORPUS = fileURLToPath(new URL('../../../../shared/corpus/photos/', import.meta.url));
const BAD = fileURLToPath(new URL('./__fixtures__/bad/', import.meta.url));

function read(path: string): Uint8Array {
  const b = readFileSync(path);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

function u8(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

async function codeOf(p: Promise<unknown>): Promise<FindableError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof FindableError) return e;
    throw e;
  }
  throw new Error('expected the decode to fail');
}

function px(img: { width: number; data: Uint8Array }, x: number, y: number): number[] {
  const i = (y * img.width + x) * 3;
  return [img.data[i], img.data[i + 1], img.data[i + 2]];
}

describe('SharpImageDecoder: good input', () => {
  it('decodes a real corpus photo to RGB at its full size, matching sharp itself', async () => {
    const bytes = read(`${CORPUS}enl-peaks.jpg`);
    const meta = await sharp(bytes).metadata();
    const img = await nodeImageDecoder.decode(bytes);
    expect(img).toMatchObject({
      width: meta.width,
      height: meta.height,
      format: 'jpeg',
      originalWidth: meta.width,
      originalHeight: meta.height,
      alphaFlattened: false,
      hasExif: false,
    });
    expect(img.width * img.height).toBeGreaterThan(1_000_000);
    expect(img.data).toBeInstanceOf(Uint8Array);
    expect(img.data.length).toBe(img.width * img.height * 3);
    const ref = await sharp(bytes).removeAlpha().raw().toBuffer();
    expect(Buffer.compare(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.length), ref)).toBe(0);
  });

  it('applies EXIF orientation 6: width/height swap and the left edge becomes the top', async () => {
    // Stored 64 x 32: left half red, right half blue. Orientation 6 = rotate 90° clockwise to display.
    const half = (r: number, b: number) =>
      sharp({ create: { width: 32, height: 32, channels: 3, background: { r, g: 0, b } } })
        .png()
        .toBuffer();
    const stored = await sharp({ create: { width: 64, height: 32, channels: 3, background: '#000' } })
      .composite([
        { input: await half(255, 0), left: 0, top: 0 },
        { input: await half(0, 255), left: 32, top: 0 },
      ])
      .png()
      .toBuffer();
    const jpeg = u8(await sharp(stored).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer());
    expect((await sharp(jpeg).metadata()).orientation).toBe(6);

    const img = await nodeImageDecoder.decode(jpeg);
    expect([img.width, img.height]).toEqual([32, 64]);
    expect([img.originalWidth, img.originalHeight]).toEqual([64, 32]);
    expect(img.hasExif).toBe(true);
    const [tr, , tb] = px(img, 16, 8); // top: was the left (red) half
    const [br, , bb] = px(img, 16, 56); // bottom: was the right (blue) half
    expect(tr).toBeGreaterThan(200);
    expect(tb).toBeLessThan(50);
    expect(br).toBeLessThan(50);
    expect(bb).toBeGreaterThan(200);
  });

  it('flattens alpha onto white and says so', async () => {
    // Left half transparent, right half opaque green, middle row half-transparent black.
    const rgba = Buffer.alloc(4 * 3 * 4);
    for (let y = 0; y < 3; y++) {
      for (let x = 0; x < 4; x++) {
        const i = (y * 4 + x) * 4;
        if (y === 1) rgba.set([0, 0, 0, 128], i);
        else if (x >= 2) rgba.set([0, 200, 0, 255], i);
      }
    }
    const png = u8(
      await sharp(rgba, { raw: { width: 4, height: 3, channels: 4 } })
        .png()
        .toBuffer(),
    );
    const img = await nodeImageDecoder.decode(png);
    expect(img.alphaFlattened).toBe(true);
    expect(px(img, 0, 0)).toEqual([255, 255, 255]);
    expect(px(img, 3, 0)).toEqual([0, 200, 0]);
    expect(px(img, 1, 1)).toEqual([127, 127, 127]);

    const opaque = u8(
      await sharp(rgba, { raw: { width: 4, height: 3, channels: 4 } })
        .flatten()
        .png()
        .toBuffer(),
    );
    expect((await nodeImageDecoder.decode(opaque)).alphaFlattened).toBe(false);
  });

  it('converts an embedded ICC profile (Display P3) to sRGB', async () => {
    // sRGB red stored as P3 numbers (about 234, 51, 34) with the P3 profile embedded.
    const p3 = u8(
      await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 255, g: 0, b: 0 } } })
        .png()
        .withIccProfile('p3')
        .toBuffer(),
    );
    const img = await nodeImageDecoder.decode(p3);
    const [r, g, b] = px(img, 4, 4);
    expect(r).toBeGreaterThanOrEqual(253);
    expect(g).toBeLessThanOrEqual(2);
    expect(b).toBeLessThanOrEqual(2);
  });

  it('returns 8-bit RGB for greyscale and 16-bit PNGs', async () => {
    const grey = u8(
      await sharp({ create: { width: 5, height: 4, channels: 3, background: '#808080' } })
        .greyscale()
        .png()
        .toBuffer(),
    );
    const g = await nodeImageDecoder.decode(grey);
    expect(g.data.length).toBe(5 * 4 * 3);
    expect(px(g, 2, 2)).toEqual([128, 128, 128]);
    const deep = u8(
      await sharp({ create: { width: 5, height: 4, channels: 3, background: { r: 255, g: 0, b: 0 } } })
        .toColourspace('rgb16')
        .png()
        .toBuffer(),
    );
    const d = await nodeImageDecoder.decode(deep);
    expect(d.data.length).toBe(5 * 4 * 3);
    expect(px(d, 0, 0)).toEqual([255, 0, 0]);
  });

  it('honours maxPixels and an AbortSignal', async () => {
    const bytes = read(`${CORPUS}enl-peaks.jpg`);
    expect((await codeOf(new SharpImageDecoder().decode(bytes, { maxPixels: 1000 }))).code).toBe('IMAGE_TOO_LARGE');
    const ac = new AbortController();
    const p = nodeImageDecoder.decode(bytes, { signal: ac.signal });
    ac.abort();
    expect((await codeOf(p)).code).toBe('ABORTED');
  });
});

describe('SharpImageDecoder: each bad input gives its typed error', () => {
  it('a truncated JPEG (first half of a corpus photo) -> IMAGE_CORRUPT', async () => {
    const e = await codeOf(nodeImageDecoder.decode(read(`${BAD}truncated.jpg`)));
    expect(e.code).toBe('IMAGE_CORRUPT');
    expect(e.details).toMatchObject({ format: 'jpeg' });
    expect(e.message).toMatch(/truncated/);
  });

  it('a zero-byte file -> IMAGE_EMPTY', async () => {
    expect((await codeOf(nodeImageDecoder.decode(read(`${BAD}empty.jpg`)))).code).toBe('IMAGE_EMPTY');
  });

  it('a text file renamed .jpg -> IMAGE_UNSUPPORTED', async () => {
    expect((await codeOf(nodeImageDecoder.decode(read(`${BAD}text.jpg`)))).code).toBe('IMAGE_UNSUPPORTED');
  });

  it('a 20000 x 20000 PNG (48 KB on disk) -> IMAGE_TOO_LARGE from the header, fast', async () => {
    const bytes = read(`${BAD}huge-20000x20000.png`);
    expect(bytes.length).toBeLessThan(200_000);
    const t0 = performance.now();
    const e = await codeOf(nodeImageDecoder.decode(bytes));
    expect(performance.now() - t0).toBeLessThan(500);
    expect(e.code).toBe('IMAGE_TOO_LARGE');
    expect(e.details).toMatchObject({ format: 'png', width: 20000, height: 20000, limit: 100_000_000 });
  });
});
