import { describe, expect, it } from 'vitest';
import { resizeMatrix } from '../image/resize';
import type { FloatImage, RgbImage } from '../image/types';
import { composeFullResolution } from './compose';

function gray(width: number, height: number, v: number): RgbImage {
  return { width, height, data: new Uint8Array(width * height * 3).fill(v) };
}

function pert(width: number, height: number, f: (c: number, y: number, x: number) => number): FloatImage {
  const data = new Float32Array(3 * width * height);
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[(c * height + y) * width + x] = f(c, y, x);
  return { width, height, space: 'unit', data };
}

describe('composeFullResolution', () => {
  it('adds a same-size perturbation, rounds half up and clamps', () => {
    const out = composeFullResolution(
      gray(2, 1, 100),
      pert(2, 1, (c, _y, x) => (x === 0 ? 0.5 / 255 : c === 0 ? 1 : -1)),
    );
    expect(Array.from(out.data)).toEqual([101, 101, 101, 255, 0, 0]);
  });

  it('upsamples with exactly the resize matrices (R_rows P R_cols^T)', () => {
    const h = 3;
    const w = 4;
    const H = 7;
    const W = 10;
    const p = pert(w, h, (c, y, x) => ((c + 1) * (y * w + x)) / 255);
    const out = composeFullResolution(gray(W, H, 50), p);
    const rr = resizeMatrix(h, H);
    const rc = resizeMatrix(w, W);
    for (let c = 0; c < 3; c++) {
      for (let Y = 0; Y < H; Y++) {
        for (let X = 0; X < W; X++) {
          let s = 0;
          for (let y = 0; y < h; y++)
            for (let x = 0; x < w; x++) s += rr[Y * h + y] * p.data[(c * h + y) * w + x] * rc[X * w + x];
          expect(out.data[(Y * W + X) * 3 + c]).toBe(Math.floor(50 + s * 255 + 0.5));
        }
      }
    }
  });

  it('a constant perturbation stays constant at any scale', () => {
    const out = composeFullResolution(
      gray(33, 17, 10),
      pert(5, 3, () => 20 / 255),
    );
    expect(out.data.every((v) => v === 30)).toBe(true);
  });
});
