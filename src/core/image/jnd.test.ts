import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { isFindableError } from '../errors';
import golden from './__fixtures__/jnd-golden.json';
import { computeJnd, JND_FLOOR } from './jnd';
import type { RgbImage } from './types';

async function loadRgb(name: string): Promise<RgbImage> {
  const path = fileURLToPath(new URL(`./__fixtures__/${name}`, import.meta.url));
  const { data, info } = await sharp(path).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

function constant(w: number, h: number, r: number, g = r, b = r): RgbImage {
  const data = new Uint8Array(w * h * 3);
  for (let i = 0; i < w * h; i++) data.set([r, g, b], i * 3);
  return { width: w, height: h, data };
}

describe('computeJnd', () => {
  it('matches the sanity values of method.md on the interior of constant images', () => {
    // Interior = at least 2 pixels from every border, where zero padding is out of reach of both kernels.
    for (const [value, expected] of [
      [0, 19.4624],
      [128, 5],
      [255, 6],
    ]) {
      const map = computeJnd(constant(9, 7, value));
      for (let y = 2; y < 5; y++) {
        for (let x = 2; x < 7; x++) expect(map.data[y * 9 + x] * 255).toBeCloseTo(expected, 4);
      }
    }
  });

  it('gives border pixels of a constant image the zero-padding values (dark, high-contrast surround)', () => {
    // Corner of a constant Y = c image: the in-image part of K_lum sums to 11, gx = 3c, gy = -3c.
    const c = 200;
    const map = computeJnd(constant(6, 5, c));
    const bg = (11 * c) / 32;
    const la = 17 * (1 - Math.sqrt(bg / 127 + 0.001)) + 3;
    const g = Math.hypot(3 * c, 3 * c);
    const cm = (0.117 * 16 * g ** 2.4) / (g * g + 676);
    const h = Math.max(la + cm - 0.3 * Math.min(la, cm), JND_FLOOR) / 255;
    for (const [x, y] of [
      [0, 0],
      [5, 0],
      [0, 4],
      [5, 4],
    ]) {
      expect(map.data[y * 6 + x]).toBeCloseTo(h, 7);
    }
    expect(map.data[0]).toBeGreaterThan(map.data[2 * 6 + 2]);
  });

  it('handles images smaller than the kernels (everything is border)', () => {
    const map = computeJnd(constant(1, 1, 77, 10, 250));
    expect(map.width).toBe(1);
    expect(Number.isFinite(map.data[0])).toBe(true);
    expect(map.data[0]).toBeGreaterThanOrEqual(JND_FLOOR / 255);
  });

  it('matches the independent PyTorch float64 golden on a real photo (max abs error < 1e-6 in [0,1] units)', async () => {
    const img = await loadRgb(golden.source);
    expect([img.width, img.height]).toEqual([golden.width, golden.height]);
    const map = computeJnd(img);
    let maxErr = 0;
    for (let i = 0; i < map.data.length; i++) maxErr = Math.max(maxErr, Math.abs(map.data[i] - golden.h[i]));
    // Measured 7.0e-9: float32 storage of a float64 computation.
    expect(maxErr).toBeLessThan(1e-6);
    // The photo exercises the floor, both LA branches and strong contrast masking, so the test is not vacuous.
    const min = Math.min(...golden.h);
    const max = Math.max(...golden.h);
    expect(min).toBeCloseTo(JND_FLOOR / 255, 9);
    expect(max * 255).toBeGreaterThan(20);
  });

  it('rejects a buffer of the wrong length', () => {
    try {
      computeJnd({ width: 4, height: 4, data: new Uint8Array(47) });
      throw new Error('no throw');
    } catch (e) {
      expect(isFindableError(e, 'SHAPE_MISMATCH')).toBe(true);
    }
  });
});
