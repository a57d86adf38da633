/**
 * Antialiased resizing with a triangle (bilinear) filter, defined per axis by an interpolation matrix.
 *
 * Definition, for one axis resized from `inSize` to `outSize` pixels (scale = inSize / outSize):
 *   centre_i  = (i + 0.5) * scale - 0.5            half-pixel aligned centre of output i in input coordinates
 *   support   = max(1, scale)                        the triangle is widened when downscaling (antialiasing)
 *   w_ij      = max(0, 1 - |j - centre_i| / support) for input pixels j in [0, inSize)
 *   R[i][j]   = w_ij / sum_j w_ij                    each row sums to 1
 * Edges: taps that fall outside the image are dropped and the remaining ones renormalised (no padding
 * value is invented). When upscaling this equals clamping the sample position to the edge pixel.
 * This is PIL's BILINEAR resize and PyTorch's F.interpolate(mode='bilinear', antialias=True,
 * align_corners=False); in == out gives the identity.
 *
 * A 2-D resize is separable: for each channel c, out_c = R_h · X_c · R_wᵀ, with R_h = resizeMatrix(inH, outH)
 * (outH x inH) and R_w = resizeMatrix(inW, outW) (outW x inW).
 *
 * Dense layout (for graph operands): Float32Array, row-major, [outSize, inSize]: m[i * inSize + j] = R[i][j].
 * In an ONNX graph with X of shape [1, 3, inH, inW]:
 *   Y = MatMul(MatMul(rows, X), colsT)   rows: [outH, inH], colsT = transposeMatrix(cols, outW, inW): [inW, outW]
 * (MatMul broadcasts the 2-D operand over N and C). The backward pass of this linear map is
 * dL/dX = rowsᵀ · dL/dY · cols, i.e. the same two matrices, transposed.
 *
 * The dense matrices are O(outSize * inSize) and meant for graph operands. resizeFloat / resizeRgb /
 * resizeRgbToUnit use the sparse form (resizeTaps: a contiguous run of taps per output pixel, at most
 * ceil(2 * support) + 1), built by the same code, so their cost is O(pixels * taps) and their memory one
 * intermediate image of inH x outW. Intermediates are float32, accumulations float64.
 */
import { assertFloatImage, assertRgbImage, assertSize } from './shape';
import type { FloatImage, RgbImage } from './types';

/** Sparse form of one axis' matrix: output i uses inputs start[i] .. start[i] + count[i] - 1. */
export interface ResizeTaps {
  readonly inSize: number;
  readonly outSize: number;
  /** Taps per output pixel in `weights` (the largest count); unused trailing weights are 0. */
  readonly stride: number;
  readonly start: Int32Array;
  readonly count: Int32Array;
  /** weights[i * stride + k] = R[i][start[i] + k]. */
  readonly weights: Float32Array;
}

export function resizeTaps(inSize: number, outSize: number): ResizeTaps {
  assertSize('inSize', inSize);
  assertSize('outSize', outSize);
  const scale = inSize / outSize;
  const support = Math.max(1, scale);
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const stride = Math.ceil(2 * support) + 1; // bound on taps with |j - c| < support
  const weights = new Float32Array(outSize * stride);
  const row = new Float64Array(stride);
  let maxCount = 0;
  for (let i = 0; i < outSize; i++) {
    const centre = (i + 0.5) * scale - 0.5;
    // Taps with non-zero weight: |j - centre| < support, clipped to the image.
    const lo = Math.max(0, Math.floor(centre - support) + 1);
    const hi = Math.min(inSize - 1, Math.ceil(centre + support) - 1);
    let sum = 0;
    let n = 0;
    for (let j = lo; j <= hi; j++, n++) {
      const wj = Math.max(0, 1 - Math.abs(j - centre) / support);
      row[n] = wj;
      sum += wj;
    }
    start[i] = lo;
    count[i] = n;
    if (n > maxCount) maxCount = n;
    for (let k = 0; k < n; k++) weights[i * stride + k] = row[k] / sum; // normalise in float64, then round
  }
  // Repack with the tightest stride so the inner loops do no wasted work.
  if (maxCount < stride) {
    const packed = new Float32Array(outSize * maxCount);
    for (let i = 0; i < outSize; i++) {
      packed.set(weights.subarray(i * stride, i * stride + count[i]), i * maxCount);
    }
    return { inSize, outSize, stride: maxCount, start, count, weights: packed };
  }
  return { inSize, outSize, stride, start, count, weights };
}

/** Dense [outSize, inSize] row-major matrix R of the definition above (rows sum to 1). */
export function resizeMatrix(inSize: number, outSize: number): Float32Array {
  const t = resizeTaps(inSize, outSize);
  const m = new Float32Array(outSize * inSize);
  for (let i = 0; i < outSize; i++) {
    for (let k = 0; k < t.count[i]; k++) m[i * inSize + t.start[i] + k] = t.weights[i * t.stride + k];
  }
  return m;
}

/** Both axes' matrices: rows is [outH, inH] (left factor), cols is [outW, inW] (right factor, transposed). */
export function resizeMatrices(
  inH: number,
  inW: number,
  outH: number,
  outW: number,
): { rows: Float32Array; cols: Float32Array } {
  return { rows: resizeMatrix(inH, outH), cols: resizeMatrix(inW, outW) };
}

/** Transpose of a row-major [rows, cols] matrix, as a new row-major [cols, rows] matrix. */
export function transposeMatrix(m: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) t[c * rows + r] = m[r * cols + c];
  }
  return t;
}

/** Resizes a planar float image (any space: the map is linear and rows sum to 1). */
export function resizeFloat(img: FloatImage, outW: number, outH: number): FloatImage {
  assertFloatImage(img);
  const { width: inW, height: inH } = img;
  const tw = resizeTaps(inW, outW);
  const th = resizeTaps(inH, outH);
  const out = new Float32Array(3 * outH * outW);
  const tmp = new Float32Array(inH * outW); // one channel after the horizontal pass, reused
  const acc = new Float64Array(outW);
  for (let c = 0; c < 3; c++) {
    horizontal(img.data, c * inH * inW, 1, inW, inH, tw, tmp, 0, 1);
    vertical(tmp, outW, th, out, c * outH * outW, acc);
  }
  return { width: outW, height: outH, space: img.space, data: out };
}

/** Resizes an 8-bit interleaved RGB image; results are rounded half up (never outside 0..255: weights >= 0). */
export function resizeRgb(img: RgbImage, outW: number, outH: number): RgbImage {
  assertRgbImage(img);
  const { width: inW, height: inH } = img;
  const tw = resizeTaps(inW, outW);
  const th = resizeTaps(inH, outH);
  const tmp = new Float32Array(inH * outW * 3);
  const out = new Uint8Array(outH * outW * 3);
  const acc = new Float64Array(outW * 3);
  for (let c = 0; c < 3; c++) horizontal(img.data, c, 3, inW, inH, tw, tmp, c, 3);
  vertical(tmp, outW * 3, th, out, 0, acc); // interleaved rows are filtered as plain rows of 3 * outW values
  return { width: outW, height: outH, data: out };
}

/**
 * RGB uint8 -> resized planar float in 'unit' space, without a full-resolution float copy: the same numbers as
 * resizeFloat(toUnit(img)) up to float32 rounding, but a 48-megapixel source costs one inH x outW plane
 * (e.g. 6000 x 288 floats) instead of a 576 MB float image. This is the extractor's preprocessing path.
 */
export function resizeRgbToUnit(img: RgbImage, outW: number, outH: number): FloatImage {
  assertRgbImage(img);
  const { width: inW, height: inH } = img;
  const tw = resizeTaps(inW, outW);
  const th = resizeTaps(inH, outH);
  const out = new Float32Array(3 * outH * outW);
  const tmp = new Float32Array(inH * outW);
  const acc = new Float64Array(outW);
  for (let c = 0; c < 3; c++) {
    horizontal(img.data, c, 3, inW, inH, tw, tmp, 0, 1);
    vertical(tmp, outW, th, out, c * outH * outW, acc, 1 / 255);
  }
  return { width: outW, height: outH, space: 'unit', data: out };
}

/**
 * Horizontal pass: for each of `inH` rows, dst[y][x] = sum_k w[x][k] * src[y][start[x] + k].
 * Steps are the distances between horizontally adjacent samples: 1 for planar data, 3 for interleaved data
 * (then the offsets select the channel).
 */
function horizontal(
  src: Float32Array | Uint8Array,
  srcOffset: number,
  srcStep: number,
  inW: number,
  inH: number,
  t: ResizeTaps,
  dst: Float32Array,
  dstOffset: number,
  dstStep: number,
): void {
  const { outSize: outW, stride, start, count, weights } = t;
  for (let y = 0; y < inH; y++) {
    const rowBase = srcOffset + y * inW * srcStep;
    const dstRow = dstOffset + y * outW * dstStep;
    for (let x = 0; x < outW; x++) {
      const n = count[x];
      const wBase = x * stride;
      let s = 0;
      let p = rowBase + start[x] * srcStep;
      for (let k = 0; k < n; k++, p += srcStep) s += weights[wBase + k] * src[p];
      dst[dstRow + x * dstStep] = s;
    }
  }
}

/**
 * Vertical pass: each output row is a weighted sum of whole intermediate rows (`rowLen` values each), which
 * streams memory row by row. Uint8Array destinations are rounded half up; float ones are multiplied by `scale`.
 */
function vertical(
  src: Float32Array,
  rowLen: number,
  t: ResizeTaps,
  dst: Float32Array | Uint8Array,
  dstOffset: number,
  acc: Float64Array,
  scale = 1,
): void {
  const { outSize: outH, stride, start, count, weights } = t;
  const round = dst instanceof Uint8Array;
  for (let o = 0; o < outH; o++) {
    acc.fill(0);
    const n = count[o];
    for (let k = 0; k < n; k++) {
      const wk = weights[o * stride + k];
      const base = (start[o] + k) * rowLen;
      for (let x = 0; x < rowLen; x++) acc[x] += wk * src[base + x];
    }
    const d = dstOffset + o * rowLen;
    if (round) {
      for (let x = 0; x < rowLen; x++) {
        const v = Math.round(acc[x]);
        dst[d + x] = v < 0 ? 0 : Math.min(v, 255);
      }
    } else {
      for (let x = 0; x < rowLen; x++) dst[d + x] = acc[x] * scale;
    }
  }
}
