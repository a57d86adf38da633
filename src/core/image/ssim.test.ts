import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import golden from './__fixtures__/metrics-golden.json';
import { ssim } from './ssim';
import type { RgbImage } from './types';

async function loadRgb(name: string): Promise<RgbImage> {
  const path = fileURLToPath(new URL(`./__fixtures__/${name}`, import.meta.url));
  const { data, info } = await sharp(path).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

describe('ssim', () => {
  // Golden: skimage 0.19 structural_similarity(a, b, data_range=255, channel_axis=2, gaussian_weights=True,
  // sigma=1.5, use_sample_covariance=False) (scripts/oracles/metrics_golden.py). Pairs: noise sigma 8,
  // JPEG q30, brightness +20, +-3 uniform (activation-like).
  it('matches skimage (per-channel mean, Wang et al. settings) on 4 real pairs within 1e-9', async () => {
    for (const pair of golden.pairs) {
      const [a, b] = await Promise.all([loadRgb(pair.a), loadRgb(pair.b)]);
      // Measured max |diff| 4.4e-16 (luma 3.3e-16): same float64 formula, only the summation order differs.
      expect(Math.abs(ssim(a, b) - pair.ssim)).toBeLessThan(1e-9);
      expect(Math.abs(ssim(b, a) - pair.ssim)).toBeLessThan(1e-9); // symmetric
    }
  });

  it("matches skimage on BT.601 luma planes with { channels: 'luma' }", async () => {
    for (const pair of golden.pairs) {
      const [a, b] = await Promise.all([loadRgb(pair.a), loadRgb(pair.b)]);
      expect(Math.abs(ssim(a, b, { channels: 'luma' }) - pair.ssimLuma)).toBeLessThan(1e-9);
    }
  });

  it('is exactly 1 for identical images', async () => {
    const a = await loadRgb('photo-64x48.png');
    expect(ssim(a, a)).toBeCloseTo(1, 12);
  });

  it('throws SHAPE_MISMATCH for different sizes and INVALID_ARGUMENT below 11x11', () => {
    const a: RgbImage = { width: 12, height: 11, data: new Uint8Array(12 * 11 * 3) };
    const b: RgbImage = { width: 11, height: 12, data: new Uint8Array(12 * 11 * 3) };
    expect(() => ssim(a, b)).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
    const c: RgbImage = { width: 10, height: 30, data: new Uint8Array(10 * 30 * 3) };
    expect(() => ssim(c, c)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(ssim(a, a)).toBe(1); // 11 is the smallest valid size: a single window
  });
});
