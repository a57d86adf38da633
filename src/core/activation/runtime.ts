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
  /** The step graph (step-graph.ts) built from the same extractor, with one view (the paper's step). */
  stepSession: InferenceSession;
  /**
   * The step graph with `views` views (> 1: settings.views edited views + the plain one), built on first
   * use and kept. Optional: without it only the paper's one-view step is available.
   */
  stepSessionFor?(views: number): Promise<InferenceSession>;
  /** Extractor input size S and feature dimension D. */
  size: number;
  dim: number;
  /**
   * Optional: a copy of `t` that lives on the compute device (a WebGPU buffer), for inputs that every step
   * of one photo reads unchanged (x_orig, jnd, resize matrices, target...): uploaded once instead of at
   * every run. The caller owns the result and disposes it (which frees the device memory) when the photo
   * is done. Absent where the session reads host memory anyway (CPU backends: onnxruntime-node, wasm).
   */
  resident?(t: Tensor): Tensor;
}

/**
 * The step sessions with edited views, one per view count: created on first use and kept (sessions are
 * expensive, and on WebGPU releasing sessions can destroy the device). Shared by the Node and browser runtimes.
 */
export function sessionsByViewCount<S>(create: (views: number) => Promise<S>) {
  const made = new Map<number, Promise<S>>();
  return {
    get(views: number): Promise<S> {
      let s = made.get(views);
      if (!s) {
        s = create(views);
        made.set(views, s);
      }
      return s;
    },
    all: (): Promise<S>[] => [...made.values()],
  };
}
