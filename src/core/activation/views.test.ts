import { describe, expect, it } from 'vitest';
import { adjustBrightness, adjustContrast, adjustSaturation, gaussianBlur } from '../eval/pixel-edits';
import type { RgbImage } from '../image/types';
import { Mt19937 } from '../index/rng';
import {
  axisMatrix,
  brightness,
  type ColourEdit,
  composeColour,
  contrast,
  hue,
  NO_COLOUR_EDIT,
  packViews,
  plainViews,
  sampleViews,
  saturation,
} from './views';

/** A random image with values in [lo, hi] (no clipping for moderate edits). */
function image(w: number, h: number, seed: number, lo = 40, hi = 200): RgbImage {
  const rng = new Mt19937(seed);
  return { width: w, height: h, data: Uint8Array.from({ length: w * h * 3 }, () => lo + rng.randInt(hi - lo + 1)) };
}

/** Applies y = A x + B m(x) per pixel in 0..255 units, rounded and clamped like the 8-bit edits. */
function applyColour(img: RgbImage, e: ColourEdit): RgbImage {
  const n = img.width * img.height;
  const m = [0, 0, 0];
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) m[c] += img.data[i * 3 + c] / n;
  const out = new Uint8Array(img.data.length);
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < 3; r++) {
      let v = 0;
      for (let c = 0; c < 3; c++) v += e.a[r * 3 + c] * img.data[i * 3 + c] + e.b[r * 3 + c] * m[c];
      out[i * 3 + r] = Math.min(255, Math.max(0, Math.round(v)));
    }
  }
  return { ...img, data: out };
}

function maxDiff(a: RgbImage, b: RgbImage): number {
  let d = 0;
  for (let i = 0; i < a.data.length; i++) d = Math.max(d, Math.abs(a.data[i] - b.data[i]));
  return d;
}

describe('colour edits of the views', () => {
  const img = image(9, 7, 1);

  it('brightness, contrast and saturation equal the torchvision-exact 8-bit edits (pixel-edits.ts)', () => {
    expect(maxDiff(applyColour(img, brightness(1.2)), adjustBrightness(img, 1.2))).toBeLessThanOrEqual(1);
    expect(maxDiff(applyColour(img, contrast(0.5)), adjustContrast(img, 0.5))).toBeLessThanOrEqual(1);
    expect(maxDiff(applyColour(img, contrast(1.2)), adjustContrast(img, 1.2))).toBeLessThanOrEqual(1);
    expect(maxDiff(applyColour(img, saturation(1.5)), adjustSaturation(img, 1.5))).toBeLessThanOrEqual(1);
    expect(maxDiff(applyColour(img, saturation(0)), adjustSaturation(img, 0))).toBeLessThanOrEqual(1);
  });

  it('composition equals applying the edits one after the other (contrast uses the edited mean)', () => {
    const seq = adjustSaturation(adjustContrast(adjustBrightness(img, 1.15), 0.6), 1.3);
    const one = applyColour(img, composeColour(composeColour(brightness(1.15), contrast(0.6)), saturation(1.3)));
    // Sequential 8-bit edits round twice in between: within 2 levels.
    expect(maxDiff(one, seq)).toBeLessThanOrEqual(2);
  });

  it('a hue shift keeps luma, is the identity at 0 and at a full turn, and two half turns cancel', () => {
    const luma = [0.299, 0.587, 0.114];
    for (const t of [0.1, -0.3, 0.5]) {
      const a = hue(t).a;
      for (let c = 0; c < 3; c++) {
        const row = luma[0] * a[c] + luma[1] * a[3 + c] + luma[2] * a[6 + c];
        expect(row).toBeCloseTo(luma[c], 3);
      }
    }
    const identity = [1, 0, 0, 0, 1, 0, 0, 0, 1];
    const near = (a: number[]) => Math.max(...a.map((v, i) => Math.abs(v - identity[i])));
    expect(near(hue(0).a)).toBeLessThan(1e-3);
    expect(near(hue(1).a)).toBeLessThan(1e-3);
    expect(near(composeColour(hue(0.5), hue(0.5)).a)).toBeLessThan(1e-3);
  });
});

describe('spatial maps of the views', () => {
  it('the full window at the same size is the identity; a crop window only reads its pixels, rows sum to 1', () => {
    const id = axisMatrix(5, 5, 0, 5, 0);
    for (let k = 0; k < 25; k++) expect(id[k]).toBeCloseTo(Math.floor(k / 5) === k % 5 ? 1 : 0, 6);
    const m = axisMatrix(20, 8, 6, 10, 0);
    for (let i = 0; i < 8; i++) {
      let s = 0;
      for (let j = 0; j < 20; j++) {
        if (j < 6 || j >= 16) expect(m[i * 20 + j]).toBe(0);
        s += m[i * 20 + j];
      }
      expect(s).toBeCloseTo(1, 6);
    }
  });

  it('the blur equals torchvision gaussian_blur with reflect padding (pixel-edits.ts)', () => {
    const w = 12;
    const h = 10;
    const img = image(w, h, 2, 0, 255);
    const sigma = 1.3;
    const rows = axisMatrix(h, h, 0, h, sigma);
    const cols = axisMatrix(w, w, 0, w, sigma);
    const want = gaussianBlur(img, 2 * Math.ceil(3 * sigma) + 1, sigma);
    let worst = 0;
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          let v = 0;
          for (let yy = 0; yy < h; yy++) {
            for (let xx = 0; xx < w; xx++) v += rows[y * h + yy] * cols[x * w + xx] * img.data[(yy * w + xx) * 3 + c];
          }
          worst = Math.max(worst, Math.abs(v - want.data[(y * w + x) * 3 + c]));
        }
      }
    }
    expect(worst).toBeLessThanOrEqual(0.5 + 1e-3); // the 8-bit reference is rounded
  });
});

describe('view sets', () => {
  it('the plain set is one view: resize of the whole image, identity colour, weight 1', () => {
    const v = plainViews(6, 8, 4);
    expect(v.count).toBe(1);
    expect(v.rows.length).toBe(4 * 6);
    expect(v.cols.length).toBe(4 * 8);
    expect(Array.from(v.color)).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    expect(Array.from(v.mean)).toEqual(new Array(9).fill(0));
    expect(Array.from(v.weight)).toEqual([1]);
  });

  it('sampled sets start with the plain view, are reproducible for a seed and differ between draws', () => {
    const a = sampleViews(30, 40, 8, 3, new Mt19937(5));
    const b = sampleViews(30, 40, 8, 3, new Mt19937(5));
    expect(a.count).toBe(4);
    expect(Array.from(a.weight)).toEqual([0.25, 0.25, 0.25, 0.25]);
    expect(Array.from(a.rows)).toEqual(Array.from(b.rows));
    expect(Array.from(a.color)).toEqual(Array.from(b.color));
    const plain = plainViews(30, 40, 8);
    expect(Array.from(a.rows.subarray(0, 8 * 30))).toEqual(Array.from(plain.rows));
    expect(Array.from(a.color.subarray(0, 9))).toEqual(Array.from(plain.color));
    // Every extra view is edited (colour, blur or crop): none equals the plain view.
    for (let k = 1; k < 4; k++) {
      const sameColour = a.color.subarray(k * 9, k * 9 + 9).every((v, i) => v === plain.color[i]);
      const sameRows = a.rows.subarray(k * 240, (k + 1) * 240).every((v, i) => v === plain.rows[i]);
      const sameCols = a.cols.subarray(k * 320, (k + 1) * 320).every((v, i) => v === plain.cols[i]);
      expect(sameColour && sameRows && sameCols).toBe(false);
    }
    const packed = packViews(30, 40, 8, [{ spatial: null, colour: NO_COLOUR_EDIT }]);
    expect(Array.from(packed.cols)).toEqual(Array.from(plain.cols));
  });
});
