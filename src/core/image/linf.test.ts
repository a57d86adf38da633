import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import golden from './__fixtures__/metrics-golden.json';
import { linf } from './linf';
import type { RgbImage } from './types';

async function loadRgb(name: string): Promise<RgbImage> {
  const path = fileURLToPath(new URL(`./__fixtures__/${name}`, import.meta.url));
  const { data, info } = await sharp(path).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

describe('linf', () => {
  it('matches numpy max |a - b| on 4 real pairs', async () => {
    for (const pair of golden.pairs) {
      const [a, b] = await Promise.all([loadRgb(pair.a), loadRgb(pair.b)]);
      expect(linf(a, b)).toBe(pair.linf);
      expect(linf(b, a)).toBe(pair.linf);
    }
  });

  it('is 0 for identical images and looks at every channel', () => {
    const a: RgbImage = { width: 2, height: 1, data: new Uint8Array([10, 20, 30, 40, 50, 60]) };
    expect(linf(a, a)).toBe(0);
    const b: RgbImage = { width: 2, height: 1, data: new Uint8Array([10, 20, 30, 40, 50, 255]) };
    expect(linf(a, b)).toBe(195);
  });

  it('throws SHAPE_MISMATCH for different sizes', () => {
    const a: RgbImage = { width: 2, height: 1, data: new Uint8Array(6) };
    const b: RgbImage = { width: 1, height: 2, data: new Uint8Array(6) };
    expect(() => linf(a, b)).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
  });
});
