/**
 * The onnxruntime binding is injected: the CLI passes onnxruntime-node, the browser worker passes
 * onnxruntime-web (WebGPU or wasm). Both implement onnxruntime-common's API, and nothing else in the
 * activation code differs between them.
 */
import type { InferenceSession, Tensor } from 'onnxruntime-common';

/** The part of an onnxruntime module the engine uses. */
export interface OrtModule {
  Tensor: typeof Tensor;
}

export interface ActivationRuntime {
  ort: OrtModule;
  /** The extractor: [N,3,S,S] RGB in [0,1] -> [N,D] features. */
  featureSession: InferenceSession;
  /** The step graph (step-graph.ts) built from the same extractor. */
  stepSession: InferenceSession;
  /** Extractor input size S and feature dimension D. */
  size: number;
  dim: number;
}
