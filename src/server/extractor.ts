/**
 * The extractor on the server, for search by image: the model named by its manifest (sha256 checked by
 * src/core/activation/runtime.node.ts) on onnxruntime-node, and the same preprocessing and extraction as
 * the browser and the CLI (src/core/activation/extract.ts). Decoding is the caller's (decode.node.ts).
 */

import { extractFeatures } from '../core/activation/extract';
import { loadNodeRuntime } from '../core/activation/runtime.node.ts';
import type { RgbImage } from '../core/image/types';

export interface Extractor {
  readonly id: string;
  readonly sha256: string;
  readonly dim: number;
  /** One image's feature (dim floats). Calls are serialised: one inference at a time. */
  extract(image: RgbImage): Promise<Float32Array>;
}

/** Loads the model named by a manifest (extractor.json) with onnxruntime-node; features only. */
export async function loadOnnxExtractor(manifestPath: string, options: { threads?: number } = {}): Promise<Extractor> {
  const rt = await loadNodeRuntime({ manifestPath, threads: options.threads ?? 1, withStepGraph: false });
  let queue: Promise<unknown> = Promise.resolve();
  return {
    id: rt.manifest.id,
    sha256: rt.manifest.sha256,
    dim: rt.dim,
    extract(image) {
      const result = queue.then(() => extractFeatures(rt, [image]));
      queue = result.catch(() => undefined);
      return result;
    },
  };
}
