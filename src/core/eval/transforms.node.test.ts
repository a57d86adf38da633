import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RgbImage } from '../image/types';
import { applyTransform, autoAugment, TRANSFORM_NAMES } from './transforms.node';

let photo: RgbImage;
beforeAll(async () => {
  const dir = join(import.meta.dirname, '..', '..', '..', '..', 'shared', 'corpus', 'photos');
  const file = readdirSync(dir).filter((f) => f.endsWith('.jpg'))[0];
  const { data, info } = await sharp(join(dir, file))
    .resize(200, 150, { fit: 'fill' })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  photo = { width: info.width, height: info.height, data: new Uint8Array(data) };
});

function pixel(img: RgbImage, x: number, y: number): number[] {
  const i = (y * img.width + x) * 3;
  return [img.data[i], img.data[i + 1], img.data[i + 2]];
}

function meanAbsDiff(a: RgbImage, b: RgbImage): number {
  let s = 0;
  for (let i = 0; i < a.data.length; i++) s += Math.abs(a.data[i] - b.data[i]);
  return s / a.data.length;
}

describe('evaluation transforms', () => {
  it('has the 14 transforms of the protocol, in the report order', () => {
    expect(TRANSFORM_NAMES).toHaveLength(14);
    expect(TRANSFORM_NAMES[0]).toBe('identity');
    expect(TRANSFORM_NAMES[13]).toBe('auto');
  });

  it('identity returns the same pixels', async () => {
    expect(await applyTransform('identity', photo)).toEqual(photo);
  });

  it('geometric transforms have the protocol sizes', async () => {
    const rot90 = await applyTransform('rot90', photo);
    expect([rot90.width, rot90.height]).toEqual([150, 200]);
    const rot25 = await applyTransform('rot25', photo);
    const c = Math.cos((25 * Math.PI) / 180);
    const s = Math.sin((25 * Math.PI) / 180);
    expect(Math.abs(rot25.width - (200 * c + 150 * s))).toBeLessThanOrEqual(2);
    expect(Math.abs(rot25.height - (200 * s + 150 * c))).toBeLessThanOrEqual(2);
    expect(pixel(rot25, 0, 0)).toEqual([0, 0, 0]); // expanded canvas, black fill
    const crop = await applyTransform('crop0.5', photo);
    expect(Math.abs((crop.width * crop.height) / (200 * 150) - 0.5)).toBeLessThan(0.01);
    // Centre crop: its centre pixel is the original's centre pixel.
    expect(pixel(crop, crop.width >> 1, crop.height >> 1)).toEqual(pixel(photo, 100, 75));
    const small = await applyTransform('resize0.5', photo);
    expect([small.width, small.height]).toEqual([141, 106]);
  });

  it('jpeg50 changes pixels a little', async () => {
    const j = await applyTransform('jpeg50', photo);
    const d = meanAbsDiff(j, photo);
    expect(d).toBeGreaterThan(0.5);
    expect(d).toBeLessThan(12);
  });

  it('meme adds a white caption bar with dark text above the image', async () => {
    const m = await applyTransform('meme', photo, 3);
    expect(m.width).toBe(200);
    const bar = m.height - 150;
    expect(bar).toBeGreaterThanOrEqual(30);
    expect(pixel(m, 1, 1)).toEqual([255, 255, 255]);
    let dark = 0;
    for (let y = 0; y < bar; y++) for (let x = 0; x < m.width; x++) if (pixel(m, x, y)[0] < 100) dark++;
    expect(dark).toBeGreaterThan(50); // the caption was rendered
    expect(pixel(m, 100, bar + 75)).toEqual(pixel(photo, 100, 75));
  });

  it('auto is a deterministic chain of 1 to 4 edits for a seed', async () => {
    const seen = new Set<number>();
    for (let seed = 0; seed < 12; seed++) {
      const a = await autoAugment(photo, seed);
      const b = await autoAugment(photo, seed);
      expect(a.edits).toEqual(b.edits);
      expect(Buffer.from(a.image.data).equals(Buffer.from(b.image.data))).toBe(true);
      expect(a.edits.length).toBeGreaterThanOrEqual(1);
      expect(a.edits.length).toBeLessThanOrEqual(4);
      seen.add(a.edits.length);
    }
    expect(seen.size).toBeGreaterThan(1);
  });

  it('rejects an unknown name with a typed error', async () => {
    await expect(applyTransform('sepia' as never, photo)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
