/**
 * Mean structural similarity (Wang, Bovik, Sheikh, Simoncelli 2004) of two 8-bit RGB images.
 *
 * Definition (identical to skimage.metrics.structural_similarity(a, b, data_range=255, channel_axis=2,
 * gaussian_weights=True, sigma=1.5, use_sample_covariance=False)):
 *   - window: 11-tap Gaussian, sigma 1.5, truncated at radius int(3.5 * 1.5 + 0.5) = 5, weights normalised
 *     to sum 1 (scipy's gaussian kernel), applied separably;
 *   - local means/variances/covariance with population normalisation; C1 = (0.01 * 255)^2, C2 = (0.03 * 255)^2;
 *   - SSIM map averaged over the pixels at least 5 from every border (skimage crops the filter radius), so
 *     the boundary mode of the filter never matters and we only filter the "valid" region.
 *
 * Channels: the default is the MEAN OF PER-CHANNEL SSIM over R, G, B (skimage's channel_axis=2). Why: it is
 * what the common skimage call on RGB images computes (the reference's utils_img.py has PSNR and Linf but
 * no SSIM, so the paper's 0.98 most likely comes from such a call), and chroma changes stay visible to
 * it: the activation perturbs B about five times as much as G, which luma SSIM would largely hide.
 * `{ channels: 'luma' }` gives SSIM of the BT.601 luma planes
 * (0.299 R + 0.587 G + 0.114 B, unrounded float), for comparison with luminance-only tools.
 *
 * Images smaller than 11x11 have no valid window: INVALID_ARGUMENT (skimage raises ValueError too).
 * Cost: O(pixels) time (symmetric taps: about 60 multiplies per pixel and channel; ~0.8 s CPU per 3 MP here);
 * memory O(width) (a ring of 11 filtered rows), so a 48-megapixel photo is streamed, never copied to float.
 */
import { FindableError } from '../errors';
import { assertRgbImage, assertSameSize } from './shape';
import type { RgbImage } from './types';

export interface SsimOptions {
  /** 'rgb' (default): mean of per-channel SSIM. 'luma': SSIM of the BT.601 luma planes. */
  channels?: 'rgb' | 'luma';
}

const SIGMA = 1.5;
const RADIUS = 5; // int(truncate 3.5 * sigma 1.5 + 0.5), as scipy.ndimage / skimage
const TAPS = 2 * RADIUS + 1;
const C1 = (0.01 * 255) ** 2;
const C2 = (0.03 * 255) ** 2;

/** scipy.ndimage._gaussian_kernel1d: exp(-x^2 / (2 sigma^2)) normalised to sum 1. */
const WEIGHTS = (() => {
  const w = new Float64Array(TAPS);
  let sum = 0;
  for (let k = 0; k < TAPS; k++) {
    const x = k - RADIUS;
    w[k] = Math.exp((-0.5 / (SIGMA * SIGMA)) * x * x);
    sum += w[k];
  }
  for (let k = 0; k < TAPS; k++) w[k] /= sum;
  return w;
})();

export function ssim(a: RgbImage, b: RgbImage, options: SsimOptions = {}): number {
  assertRgbImage(a, 'a');
  assertRgbImage(b, 'b');
  assertSameSize(a, b);
  const mode = options.channels ?? 'rgb';
  if (mode !== 'rgb' && mode !== 'luma') {
    throw new FindableError('INVALID_ARGUMENT', `ssim: channels must be 'rgb' or 'luma', got ${String(mode)}.`);
  }
  if (a.width < TAPS || a.height < TAPS) {
    throw new FindableError('INVALID_ARGUMENT', `ssim needs images of at least ${TAPS}x${TAPS} pixels.`, {
      width: a.width,
      height: a.height,
    });
  }
  if (mode === 'luma') return ssimPlane(a, b, -1);
  return (ssimPlane(a, b, 0) + ssimPlane(a, b, 1) + ssimPlane(a, b, 2)) / 3;
}

/** Mean SSIM of one plane: channel 0..2, or -1 for luma. */
function ssimPlane(a: RgbImage, b: RgbImage, channel: number): number {
  const { width: w, height: h } = a;
  const vw = w - 2 * RADIUS; // valid (cropped) width
  const da = a.data;
  const db = b.data;
  // Source row and its products, float64: the 5 quantities whose local means SSIM needs.
  const src = [new Float64Array(w), new Float64Array(w), new Float64Array(w), new Float64Array(w), new Float64Array(w)];
  const [rowA, rowB, rowAA, rowBB, rowAB] = src;
  // ring[(slot * 5 + q) * vw + x]: quantity q horizontally filtered, for image row y with slot = y mod 11.
  const ring = new Float64Array(TAPS * 5 * vw);
  // The window is symmetric: w[5 - d] = w[5 + d], so each pass needs 6 multiplies per output, not 11.
  const [w0, w1, w2, w3, w4, w5] = WEIGHTS;
  let total = 0;

  for (let y = 0; y < h; y++) {
    if (channel >= 0) {
      for (let x = 0, s = y * w * 3 + channel; x < w; x++, s += 3) {
        rowA[x] = da[s];
        rowB[x] = db[s];
      }
    } else {
      for (let x = 0, s = y * w * 3; x < w; x++, s += 3) {
        rowA[x] = 0.299 * da[s] + 0.587 * da[s + 1] + 0.114 * da[s + 2];
        rowB[x] = 0.299 * db[s] + 0.587 * db[s + 1] + 0.114 * db[s + 2];
      }
    }
    for (let x = 0; x < w; x++) {
      const va = rowA[x];
      const vb = rowB[x];
      rowAA[x] = va * va;
      rowBB[x] = vb * vb;
      rowAB[x] = va * vb;
    }
    // Horizontal pass over the valid columns only (output x is centred on input x + 5).
    const slot = (y % TAPS) * 5 * vw;
    for (let q = 0; q < 5; q++) {
      const v = src[q];
      const o = slot + q * vw;
      for (let x = 0; x < vw; x++) {
        ring[o + x] =
          w0 * (v[x] + v[x + 10]) +
          w1 * (v[x + 1] + v[x + 9]) +
          w2 * (v[x + 2] + v[x + 8]) +
          w3 * (v[x + 3] + v[x + 7]) +
          w4 * (v[x + 4] + v[x + 6]) +
          w5 * v[x + 5];
      }
    }
    if (y < TAPS - 1) continue;

    // Vertical pass for output row y - 5 from image rows y - 10 .. y (sK = row y - 10 + K), fused with the
    // SSIM formula; fully unrolled because this loop is most of the cost on large photos.
    const base = y - (TAPS - 1);
    const s0 = ((base + 0) % TAPS) * 5 * vw;
    const s1 = ((base + 1) % TAPS) * 5 * vw;
    const s2 = ((base + 2) % TAPS) * 5 * vw;
    const s3 = ((base + 3) % TAPS) * 5 * vw;
    const s4 = ((base + 4) % TAPS) * 5 * vw;
    const s5 = ((base + 5) % TAPS) * 5 * vw;
    const s6 = ((base + 6) % TAPS) * 5 * vw;
    const s7 = ((base + 7) % TAPS) * 5 * vw;
    const s8 = ((base + 8) % TAPS) * 5 * vw;
    const s9 = ((base + 9) % TAPS) * 5 * vw;
    const s10 = ((base + 10) % TAPS) * 5 * vw;
    let rowSum = 0;
    for (let x = 0; x < vw; x++) {
      const ux =
        w0 * (ring[s0 + x] + ring[s10 + x]) +
        w1 * (ring[s1 + x] + ring[s9 + x]) +
        w2 * (ring[s2 + x] + ring[s8 + x]) +
        w3 * (ring[s3 + x] + ring[s7 + x]) +
        w4 * (ring[s4 + x] + ring[s6 + x]) +
        w5 * ring[s5 + x];
      const uy =
        w0 * (ring[s0 + vw + x] + ring[s10 + vw + x]) +
        w1 * (ring[s1 + vw + x] + ring[s9 + vw + x]) +
        w2 * (ring[s2 + vw + x] + ring[s8 + vw + x]) +
        w3 * (ring[s3 + vw + x] + ring[s7 + vw + x]) +
        w4 * (ring[s4 + vw + x] + ring[s6 + vw + x]) +
        w5 * ring[s5 + vw + x];
      const uxx =
        w0 * (ring[s0 + 2 * vw + x] + ring[s10 + 2 * vw + x]) +
        w1 * (ring[s1 + 2 * vw + x] + ring[s9 + 2 * vw + x]) +
        w2 * (ring[s2 + 2 * vw + x] + ring[s8 + 2 * vw + x]) +
        w3 * (ring[s3 + 2 * vw + x] + ring[s7 + 2 * vw + x]) +
        w4 * (ring[s4 + 2 * vw + x] + ring[s6 + 2 * vw + x]) +
        w5 * ring[s5 + 2 * vw + x];
      const uyy =
        w0 * (ring[s0 + 3 * vw + x] + ring[s10 + 3 * vw + x]) +
        w1 * (ring[s1 + 3 * vw + x] + ring[s9 + 3 * vw + x]) +
        w2 * (ring[s2 + 3 * vw + x] + ring[s8 + 3 * vw + x]) +
        w3 * (ring[s3 + 3 * vw + x] + ring[s7 + 3 * vw + x]) +
        w4 * (ring[s4 + 3 * vw + x] + ring[s6 + 3 * vw + x]) +
        w5 * ring[s5 + 3 * vw + x];
      const uxy =
        w0 * (ring[s0 + 4 * vw + x] + ring[s10 + 4 * vw + x]) +
        w1 * (ring[s1 + 4 * vw + x] + ring[s9 + 4 * vw + x]) +
        w2 * (ring[s2 + 4 * vw + x] + ring[s8 + 4 * vw + x]) +
        w3 * (ring[s3 + 4 * vw + x] + ring[s7 + 4 * vw + x]) +
        w4 * (ring[s4 + 4 * vw + x] + ring[s6 + 4 * vw + x]) +
        w5 * ring[s5 + 4 * vw + x];
      const vx = uxx - ux * ux;
      const vy = uyy - uy * uy;
      const vxy = uxy - ux * uy;
      rowSum += ((2 * ux * uy + C1) * (2 * vxy + C2)) / ((ux * ux + uy * uy + C1) * (vx + vy + C2));
    }
    total += rowSum; // per-row partial sums keep the grand total accurate on huge images
  }
  return total / (vw * (h - 2 * RADIUS));
}
