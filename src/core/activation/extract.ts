import { throwIfAborted } from '../errors.ts';
import { resizeRgbToUnit } from '../image/resize.ts';
import type { RgbImage } from '../image/types.ts';
import type { ActivationRuntime } from './runtime.ts';

/**
 * The extractor's canonical preprocessing: antialiased (triangle filter) square resize of the whole
 * photo to S x S, RGB in [0,1], NCHW. Every feature Findable stores or searches is made this way.
 */
export function extractorInput(img: RgbImage, size: number): Float32Array {
  return resizeRgbToUnit(img, size, size).data;
}

export interface ExtractOptions {
  batchSize?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/** Features (n x D, row-major) of already preprocessed inputs (n x 3 x S x S). */
export async function extractFromInputs(
  rt: Pick<ActivationRuntime, 'ort' | 'featureSession' | 'size' | 'dim'>,
  inputs: Float32Array,
  n: number,
  options: ExtractOptions = {},
): Promise<Float32Array> {
  const { batchSize = 16, signal, onProgress } = options;
  const per = 3 * rt.size * rt.size;
  const out = new Float32Array(n * rt.dim);
  const inputName = rt.featureSession.inputNames[0];
  const outputName = rt.featureSession.outputNames[0];
  for (let i = 0; i < n; i += batchSize) {
    throwIfAborted(signal);
    const b = Math.min(batchSize, n - i);
    const feed = new rt.ort.Tensor('float32', inputs.subarray(i * per, (i + b) * per), [b, 3, rt.size, rt.size]);
    const result = await rt.featureSession.run({ [inputName]: feed });
    out.set((await result[outputName].getData()) as Float32Array, i * rt.dim);
    onProgress?.(i + b, n);
  }
  return out;
}

/** Features of whole photos (each resized to S x S first). */
export async function extractFeatures(
  rt: Pick<ActivationRuntime, 'ort' | 'featureSession' | 'size' | 'dim'>,
  images: RgbImage[],
  options: ExtractOptions = {},
): Promise<Float32Array> {
  const per = 3 * rt.size * rt.size;
  const inputs = new Float32Array(images.length * per);
  for (const [i, img] of images.entries()) inputs.set(extractorInput(img, rt.size), i * per);
  return extractFromInputs(rt, inputs, images.length, options);
}
