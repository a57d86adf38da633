/**
 * The views the step graph's extractor sees (step-graph.ts): per view a spatial map from the working image
 * to the extractor's S x S input (a resize of the whole image or of a crop window, possibly blurred) and an
 * affine colour map (brightness, contrast, saturation, hue). View 0 is always the plain resize of the whole
 * image with no colour change: with no extra views this is exactly the paper's step (method.md section 2).
 *
 * Extra views are random edits drawn from a generic photo-editing family, resampled at every step, so that
 * the optimised change also pulls EDITED copies of the photo towards the target (expectation over
 * transformations). The ranges are those of common photo edits, not the evaluation's exact settings.
 *
 * Layouts (float32, row-major): rows [V,S,H], cols [V,S,W] (resize.ts's out x in), color and mean [V,3,3]
 * acting on RGB row vectors (y = x C + m B, m the view's mean colour), weight [V].
 */
import { gaussianKernel1d, reflect } from '../image/gaussian.ts';
import { resizeMatrix } from '../image/resize.ts';
import type { Mt19937 } from '../index/rng.ts';

export interface ViewSet {
  count: number;
  size: number;
  height: number;
  width: number;
  rows: Float32Array;
  cols: Float32Array;
  color: Float32Array;
  mean: Float32Array;
  weight: Float32Array;
}

/** 3 x 3 matrices, row-major, column-vector convention (y = A x), float64. */
type Mat3 = number[];

const LUMA = [0.299, 0.587, 0.114];
const I3: Mat3 = [1, 0, 0, 0, 1, 0, 0, 0, 1];

function mul3(a: Mat3, b: Mat3): Mat3 {
  const out = new Array<number>(9).fill(0);
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 3; j++) for (let k = 0; k < 3; k++) out[i * 3 + j] += a[i * 3 + k] * b[k * 3 + j];
  return out;
}

function add3(a: Mat3, b: Mat3): Mat3 {
  return a.map((v, i) => v + b[i]);
}

function scale3(a: Mat3, s: number): Mat3 {
  return a.map((v) => v * s);
}

/** 1 g^T: every output channel receives the luma of the input. */
const LUMA_ROWS: Mat3 = [...LUMA, ...LUMA, ...LUMA];

/**
 * An affine colour edit y = A x + B m(x), m(x) the image's mean colour. Composition (second after first):
 * m(y) = (A1 + B1) m(x), so (A2, B2) o (A1, B1) = (A2 A1, A2 B1 + B2 (A1 + B1)).
 */
export interface ColourEdit {
  a: Mat3;
  b: Mat3;
}

export const NO_COLOUR_EDIT: ColourEdit = { a: I3, b: new Array<number>(9).fill(0) };

export function composeColour(first: ColourEdit, second: ColourEdit): ColourEdit {
  return {
    a: mul3(second.a, first.a),
    b: add3(mul3(second.a, first.b), mul3(second.b, add3(first.a, first.b))),
  };
}

/** torchvision adjust_brightness: x * f. */
export function brightness(f: number): ColourEdit {
  return { a: scale3(I3, f), b: NO_COLOUR_EDIT.b };
}

/** torchvision adjust_contrast: f x + (1 - f) mean(gray(x)). */
export function contrast(f: number): ColourEdit {
  return { a: scale3(I3, f), b: scale3(LUMA_ROWS, 1 - f) };
}

/** torchvision adjust_saturation: f x + (1 - f) gray(x). */
export function saturation(f: number): ColourEdit {
  return { a: add3(scale3(I3, f), scale3(LUMA_ROWS, 1 - f)), b: NO_COLOUR_EDIT.b };
}

// RGB -> YIQ and back (NTSC). A hue shift is a rotation of the I, Q chroma plane: a linear stand-in for
// HSV's hue rotation that keeps luma.
const YIQ: Mat3 = [0.299, 0.587, 0.114, 0.595716, -0.274453, -0.321263, 0.211456, -0.522591, 0.311135];
const YIQ_INV: Mat3 = [1, 0.9563, 0.621, 1, -0.2721, -0.6474, 1, -1.107, 1.7046];

/** Hue shift by `turns` of the colour wheel (0.5 = opposite colours). */
export function hue(turns: number): ColourEdit {
  const t = 2 * Math.PI * turns;
  const rot: Mat3 = [1, 0, 0, 0, Math.cos(t), -Math.sin(t), 0, Math.sin(t), Math.cos(t)];
  return { a: mul3(YIQ_INV, mul3(rot, YIQ)), b: NO_COLOUR_EDIT.b };
}

/** A spatial edit: a window of the working image (pixels) and a blur at the extractor's resolution. */
export interface SpatialEdit {
  x0: number;
  y0: number;
  width: number;
  height: number;
  /** Gaussian sigma in pixels of the S x S view; 0 = none. */
  blurSigma: number;
}

export interface ViewEdit {
  spatial: SpatialEdit | null;
  colour: ColourEdit;
}

/** `size` x `inSize` matrix resizing the window [start, start + len) of an axis to `size`, then blurring. */
export function axisMatrix(inSize: number, size: number, start: number, len: number, blurSigma: number): Float32Array {
  const r = resizeMatrix(len, size); // size x len
  let m = new Float64Array(size * inSize);
  for (let i = 0; i < size; i++) for (let j = 0; j < len; j++) m[i * inSize + start + j] = r[i * len + j];
  if (blurSigma > 0) {
    // Banded product G m with G the blur along this axis (reflect padding, like torchvision).
    const k = gaussianKernel1d(2 * Math.ceil(3 * blurSigma) + 1, blurSigma);
    const radius = (k.length - 1) / 2;
    const out = new Float64Array(size * inSize);
    for (let i = 0; i < size; i++) {
      for (let t = -radius; t <= radius; t++) {
        const src = reflect(i + t, size);
        const w = k[t + radius];
        const row = src * inSize;
        const dst = i * inSize;
        for (let j = start; j < start + len; j++) out[dst + j] += w * m[row + j];
      }
    }
    m = out;
  }
  return Float32Array.from(m);
}

/** Packs view edits (view 0 first) into the step graph's inputs. Weights are equal. */
export function packViews(height: number, width: number, size: number, edits: readonly ViewEdit[]): ViewSet {
  const v = edits.length;
  const rows = new Float32Array(v * size * height);
  const cols = new Float32Array(v * size * width);
  const color = new Float32Array(v * 9);
  const mean = new Float32Array(v * 9);
  edits.forEach((e, k) => {
    const s = e.spatial ?? { x0: 0, y0: 0, width, height, blurSigma: 0 };
    rows.set(axisMatrix(height, size, s.y0, s.height, s.blurSigma), k * size * height);
    cols.set(axisMatrix(width, size, s.x0, s.width, s.blurSigma), k * size * width);
    // Row-vector convention in the graph: C = A^T, B_graph = B^T.
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        color[k * 9 + i * 3 + j] = e.colour.a[j * 3 + i];
        mean[k * 9 + i * 3 + j] = e.colour.b[j * 3 + i];
      }
    }
  });
  return { count: v, size, height, width, rows, cols, color, mean, weight: new Float32Array(v).fill(1 / v) };
}

/** The paper's single view: the whole image resized to S x S, colours unchanged. */
export function plainViews(height: number, width: number, size: number): ViewSet {
  return packViews(height, width, size, [{ spatial: null, colour: NO_COLOUR_EDIT }]);
}

const logUniform = (rng: Mt19937, lo: number, hi: number) =>
  Math.exp(Math.log(lo) + rng.randFloat() * Math.log(hi / lo));
const uniform = (rng: Mt19937, lo: number, hi: number) => lo + rng.randFloat() * (hi - lo);

/**
 * One random edit: each colour edit with probability 1/2 (brightness and contrast x0.4..x2.5, saturation
 * 0..2, hue +-0.3 turn), a blur (sigma 0.5..2 view pixels) with probability 1/4, a crop keeping 35-100% of
 * the area with probability 1/4. At least one edit is always applied.
 */
export function randomViewEdit(rng: Mt19937, height: number, width: number): ViewEdit {
  for (;;) {
    let colour = NO_COLOUR_EDIT;
    let edited = false;
    if (rng.randFloat() < 0.5) [colour, edited] = [composeColour(colour, brightness(logUniform(rng, 0.4, 2.5))), true];
    if (rng.randFloat() < 0.5) [colour, edited] = [composeColour(colour, contrast(logUniform(rng, 0.4, 2.5))), true];
    if (rng.randFloat() < 0.5) [colour, edited] = [composeColour(colour, saturation(uniform(rng, 0, 2))), true];
    if (rng.randFloat() < 0.5) [colour, edited] = [composeColour(colour, hue(uniform(rng, -0.3, 0.3))), true];
    let spatial: SpatialEdit | null = null;
    const blurSigma = rng.randFloat() < 0.25 ? uniform(rng, 0.5, 2) : 0;
    if (rng.randFloat() < 0.25) {
      const area = uniform(rng, 0.35, 1);
      const aspect = logUniform(rng, 3 / 4, 4 / 3);
      const cw = Math.max(1, Math.min(width, Math.round(width * Math.sqrt(area * aspect))));
      const ch = Math.max(1, Math.min(height, Math.round(height * Math.sqrt(area / aspect))));
      const x0 = Math.floor(rng.randFloat() * (width - cw + 1));
      const y0 = Math.floor(rng.randFloat() * (height - ch + 1));
      spatial = { x0, y0, width: cw, height: ch, blurSigma };
    } else if (blurSigma > 0) {
      spatial = { x0: 0, y0: 0, width, height, blurSigma };
    }
    if (edited || spatial) return { spatial, colour };
  }
}

/** View 0 plain, then `extra` random edits. */
export function sampleViews(height: number, width: number, size: number, extra: number, rng: Mt19937): ViewSet {
  const edits: ViewEdit[] = [{ spatial: null, colour: NO_COLOUR_EDIT }];
  for (let k = 0; k < extra; k++) edits.push(randomViewEdit(rng, height, width));
  return packViews(height, width, size, edits);
}
