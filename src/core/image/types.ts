/**
 * Image data layouts shared by every module.
 *
 * RgbImage: 8-bit sRGB, interleaved, row-major: data[(y * width + x) * 3 + c], c = 0 R, 1 G, 2 B.
 *   data.length === width * height * 3. Alpha, if the source had any, is already flattened.
 * FloatImage: planar float32 NCHW with N = 1, C = 3: data[c * height * width + y * width + x].
 *   `space` says what the numbers mean: 'unit' = RGB in [0,1]; 'imagenet' = (unit - mean_c) / std_c.
 */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

export type FloatSpace = 'unit' | 'imagenet';

export interface FloatImage {
  readonly width: number;
  readonly height: number;
  readonly space: FloatSpace;
  readonly data: Float32Array;
}

/** A single-channel float map (JND map, luminance), row-major: data[y * width + x]. */
export interface FloatMap {
  readonly width: number;
  readonly height: number;
  readonly data: Float32Array;
}

/** ImageNet normalisation used by the extractor graph and the activation formula (method.md section 2). */
export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;
