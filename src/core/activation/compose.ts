import { FindableError } from '../errors.ts';
import { resizeTaps } from '../image/resize.ts';
import type { FloatImage, RgbImage } from '../image/types.ts';

/**
 * The published image: original + perturbation, clamped and rounded half-up to 8 bits.
 *
 * The perturbation (RGB unit space, planar 3 x h x w) was optimised at the working resolution; it is
 * carried to the full photo with the same triangle filter the resize matrices use (bilinear when
 * upsampling), so that when the photo is downscaled again (by the extractor, or by whoever copies it)
 * the perturbation comes back. Streams one output row at a time: besides the output image it keeps a
 * single 3 x w row, so a 48-megapixel photo needs no full-resolution float buffer.
 */
export function composeFullResolution(original: RgbImage, perturbation: FloatImage): RgbImage {
  if (perturbation.space !== 'unit') {
    throw new FindableError('INVALID_ARGUMENT', 'The perturbation must be in unit RGB space.');
  }
  const { width: W, height: H } = original;
  const { width: w, height: h, data: p } = perturbation;
  const rows = resizeTaps(h, H);
  const cols = resizeTaps(w, W);
  const out = new Uint8Array(W * H * 3);
  const row = new Float32Array(3 * w);
  const src = original.data;
  for (let y = 0; y < H; y++) {
    // Vertical pass for this output row: row[c][x] = sum_k wy_k p[c][y_k][x].
    row.fill(0);
    const ry = y * rows.stride;
    for (let k = 0; k < rows.count[y]; k++) {
      const wy = rows.weights[ry + k];
      const sy = rows.start[y] + k;
      for (let c = 0; c < 3; c++) {
        const from = (c * h + sy) * w;
        const to = c * w;
        for (let x = 0; x < w; x++) row[to + x] += wy * p[from + x];
      }
    }
    // Horizontal pass, add, clamp, round.
    for (let x = 0; x < W; x++) {
      const rx = x * cols.stride;
      const sx = cols.start[x];
      const n = cols.count[x];
      const o = (y * W + x) * 3;
      for (let c = 0; c < 3; c++) {
        let d = 0;
        for (let k = 0; k < n; k++) d += cols.weights[rx + k] * row[c * w + sx + k];
        const v = src[o + c] + d * 255;
        out[o + c] = v <= 0 ? 0 : v >= 255 ? 255 : Math.floor(v + 0.5);
      }
    }
  }
  return { width: W, height: H, data: out };
}
