import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { isFindableError } from '../errors';
import golden from './__fixtures__/metrics-golden.json';
import { mse, psnr } from './psnr';
import type { RgbImage } from './types';

async function loadRgb(name: string): Promise<RgbImage> {
  const path = fileURLToPath(new URL(`./__fixtures__/${name}`, import.meta.url));
  const { data, info } = await sharp(path).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

describe('psnr', () => {
  it('matches skimage peak_signal_noise_ratio(data_range=255) on 4 real pairs (|diff| < 1e-9 dB)', async () => {
    for (const pair of golden.pairs) {
      const [a, b] = await Promise.all([loadRgb(pair.a), loadRgb(pair.b)]);
      // Measured difference: 0 (the MSE is an exact integer sum, then the same log10).
      expect(Math.abs(psnr(a, b) - pair.psnr)).toBeLessThan(1e-9);
    }
  });

  it('uses the MSE over all channels', () => {
    const a: RgbImage = { width: 2, height: 1, data: new Uint8Array([0, 0, 0, 0, 0, 0]) };
    const b: RgbImage = { width: 2, height: 1, data: new Uint8Array([6, 0, 0, 0, 0, 0]) };
    expect(mse(a, b)).toBe(6);
    expect(psnr(a, b)).toBeCloseTo(10 * Math.log10(65025 / 6), 12);
  });

  it('is +Infinity for identical images', async () => {
    const a = await loadRgb('photo-64x48.png');
    expect(psnr(a, a)).toBe(Number.POSITIVE_INFINITY);
  });

  it('throws SHAPE_MISMATCH for different sizes', () => {
    const a: RgbImage = { width: 2, height: 1, data: new Uint8Array(6) };
    const b: RgbImage = { width: 1, height: 2, data: new Uint8Array(6) };
    expect(() => psnr(a, b)).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
    try {
      psnr(a, b);
    } catch (e) {
      expect(isFindableError(e, 'SHAPE_MISMATCH')).toBe(true);
    }
  });
});
