import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { gaussianKernel1d } from '../image/gaussian';
import type { RgbImage } from '../image/types';
import { adjustBrightness, adjustContrast, adjustHue, adjustSaturation, gaussianBlur } from './pixel-edits';

const fixtures = join(import.meta.dirname, '__fixtures__');
const golden = JSON.parse(readFileSync(join(fixtures, 'transforms-golden.json'), 'utf8')) as {
  width: number;
  height: number;
  cases: Record<string, number[]>;
};

let photo: RgbImage;
beforeAll(async () => {
  const { data, info } = await sharp(join(fixtures, 'photo-48x32.png'))
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  photo = { width: info.width, height: info.height, data: new Uint8Array(data) };
});

/** Our outputs are rounded bytes; torchvision's (float) are not: allow half a level plus float error. */
function expectMatchesTorchvision(out: RgbImage, name: string, tolerance = 0.51) {
  const ref = golden.cases[name];
  expect(out.width).toBe(golden.width);
  expect(out.height).toBe(golden.height);
  let maxErr = 0;
  for (let i = 0; i < ref.length; i++) {
    const expected = Math.min(255, Math.max(0, ref[i]));
    maxErr = Math.max(maxErr, Math.abs(out.data[i] - expected));
  }
  expect(maxErr).toBeLessThanOrEqual(tolerance);
}

describe('pixel edits match torchvision (scripts/oracles/eval_transforms_golden.py)', () => {
  it('brightness', () => {
    expectMatchesTorchvision(adjustBrightness(photo, 0.5), 'brightness0.5');
    expectMatchesTorchvision(adjustBrightness(photo, 2), 'brightness2');
  });
  it('contrast', () => {
    expectMatchesTorchvision(adjustContrast(photo, 0.5), 'contrast0.5');
    expectMatchesTorchvision(adjustContrast(photo, 2), 'contrast2');
  });
  it('saturation', () => expectMatchesTorchvision(adjustSaturation(photo, 0.3), 'saturation0.3'));
  it('hue, both directions', () => {
    expectMatchesTorchvision(adjustHue(photo, 0.2), 'hue0.2', 1.01);
    expectMatchesTorchvision(adjustHue(photo, -0.1), 'hue-0.1', 1.01);
  });
  it('gaussian blur, kernel 11, sigma 2, reflect padding', () => {
    expectMatchesTorchvision(gaussianBlur(photo, 11, 2), 'blur2');
  });
  it('gaussian taps are normalised and symmetric', () => {
    const k = gaussianKernel1d(11, 2);
    expect(k.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 12);
    expect(k[0]).toBeCloseTo(k[10], 15);
    // Centre tap = 1 / sum_{x=-5..5} exp(-x^2 / 8).
    expect(k[5]).toBeCloseTo(0.200565, 5);
  });
});
