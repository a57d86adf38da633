import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { RgbImage } from '../core/image/types';
import { encodeImage } from './encode-output';

function gradient(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    data[i * 3] = (i * 7) % 256;
    data[i * 3 + 1] = (i * 13) % 256;
    data[i * 3 + 2] = (i * 29) % 256;
  }
  return { width, height, data };
}

async function pixels(bytes: Buffer) {
  return sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
}

describe('encodeImage', () => {
  it('writes lossless PNG with exactly the activated pixels', async () => {
    const img = gradient(17, 11);
    const { data, info } = await pixels(await encodeImage(img, { format: 'png' }));
    expect([info.width, info.height]).toEqual([17, 11]);
    expect(Buffer.from(img.data).equals(data)).toBe(true);
  });

  it('keeps the EXIF of the original, resets orientation, keeps the activated pixels', async () => {
    // The original: 11 x 17 stored, EXIF orientation 6 (displayed 17 x 11), a camera make and a copyright.
    const original = await sharp({ create: { width: 11, height: 17, channels: 3, background: '#808080' } })
      .withExif({ IFD0: { Make: 'FindableCam', Copyright: 'Jane Doe' } })
      .withMetadata({ orientation: 6 })
      .jpeg()
      .toBuffer();
    const activated = gradient(17, 11); // pixels as displayed (orientation applied)
    const out = await encodeImage(activated, { format: 'png', metadataFrom: new Uint8Array(original) });
    const meta = await sharp(out).metadata();
    expect(meta.orientation ?? 1).toBe(1);
    const exif = meta.exif?.toString('latin1') ?? '';
    expect(exif).toContain('FindableCam');
    expect(exif).toContain('Jane Doe');
    const { data, info } = await pixels(out);
    expect([info.width, info.height]).toEqual([17, 11]);
    expect(Buffer.from(activated.data).equals(data)).toBe(true);
  });

  it('writes JPEG at the asked quality and refuses a bad one', async () => {
    const img = gradient(64, 64);
    const hi = await encodeImage(img, { format: 'jpeg', quality: 98 });
    const lo = await encodeImage(img, { format: 'jpeg', quality: 40 });
    expect((await sharp(hi).metadata()).format).toBe('jpeg');
    expect(lo.length).toBeLessThan(hi.length);
    await expect(encodeImage(img, { format: 'jpeg', quality: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
