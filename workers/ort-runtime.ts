/**
 * onnxruntime-web sessions for one backend: the extractor and the activation step graph built from it
 * (src/core/activation/step-graph.ts), created once and kept (sessions are expensive; releasing the last
 * WebGPU session destroys the device). ORT's wasm binary is served by us (Vite emits it), never a CDN.
 */

import ortWasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';
import * as ort from 'onnxruntime-web/webgpu';
import { activatePhoto } from '../src/core/activation/engine';
import { type ActivationRuntime, sessionsByViewCount } from '../src/core/activation/runtime';
import { buildStepGraph } from '../src/core/activation/step-graph';
import { FindableError } from '../src/core/errors';
import type { RgbImage } from '../src/core/image/types';
import { loadModel, saveModel } from '../src/core/onnx/proto-io';
import type { ComputeBackend } from '../src/core/runtime/backend-choice';
import type { ExtractorManifest } from './assets';

ort.env.wasm.wasmPaths = { wasm: new URL(ortWasmUrl, self.location.href).href };
// We already are a worker; ORT's own proxy worker must stay off (WebGPU needs the sessions here).
ort.env.wasm.proxy = false;
// Threads were not faster on the small machines this was measured on, and one thread keeps memory low.
ort.env.wasm.numThreads = 1;

const GPU_STATE = ['delta_next', 'adam_m_next', 'adam_v_next'] as const;

/** The part of a WebGPU device used here (no @webgpu/types in this project). */
interface GpuBufferLike {
  getMappedRange(): ArrayBuffer;
  unmap(): void;
  destroy(): void;
}
interface GpuDeviceLike {
  createBuffer(descriptor: { size: number; usage: number; mappedAtCreation?: boolean }): GpuBufferLike;
}
/** GPUBufferUsage.STORAGE | COPY_SRC | COPY_DST (fixed by the WebGPU spec): what ORT needs of an input. */
const STORAGE_BUFFER_USAGE = 0x80 | 0x04 | 0x08;

/**
 * ActivationRuntime.resident on WebGPU: the tensor's data written once into a buffer on ORT's own device
 * (mapped at creation: no staging copy); disposing the tensor destroys the buffer.
 */
export function residentOn(device: GpuDeviceLike): (t: ort.Tensor) => ort.Tensor {
  return (t) => {
    if (t.location !== 'cpu' || t.type !== 'float32') return t;
    const data = t.data as Float32Array;
    // Sized up to 16 bytes, as ORT sizes its own buffers.
    const size = Math.max(16, Math.ceil(data.byteLength / 16) * 16);
    const buffer = device.createBuffer({ size, usage: STORAGE_BUFFER_USAGE, mappedAtCreation: true });
    new Float32Array(buffer.getMappedRange(), 0, data.length).set(data);
    buffer.unmap();
    return ort.Tensor.fromGpuBuffer(buffer as unknown as ort.Tensor.GpuBufferType, {
      dataType: 'float32',
      dims: t.dims,
      dispose: () => buffer.destroy(),
    });
  };
}

/** The step graphs' bytes depend only on the extractor and the view count: build once per model. */
let stepModelCache: { sha256: string; byViews: Map<number, Uint8Array> } | null = null;

export function stepModelBytes(modelBytes: Uint8Array, sha256: string, views = 1): Uint8Array {
  if (stepModelCache?.sha256 !== sha256) stepModelCache = { sha256, byViews: new Map() };
  let bytes = stepModelCache.byViews.get(views);
  if (!bytes) {
    bytes = saveModel(buildStepGraph(loadModel(modelBytes), { views }));
    stepModelCache.byViews.set(views, bytes);
  }
  return bytes;
}

export async function sha256Hex(bytes: Uint8Array | ArrayBuffer): Promise<string> {
  const view = bytes instanceof ArrayBuffer ? bytes : (bytes.slice() as Uint8Array<ArrayBuffer>);
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', view));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

export interface BackendRuntime extends ActivationRuntime {
  backend: ComputeBackend;
  release(): Promise<void>;
}

export async function createRuntime(
  backend: ComputeBackend,
  manifest: ExtractorManifest,
  modelBytes: Uint8Array,
  onPhase: (phase: 'creating' | 'warming-up' | 'ready') => void,
  onDeviceLost?: (reason: string) => void,
): Promise<BackendRuntime> {
  const size = Number(manifest.input.shape[2]);
  const dim = manifest.output.dim;
  onPhase('creating');
  const base: ort.InferenceSession.SessionOptions = {
    executionProviders: [backend],
    graphOptimizationLevel: 'all',
  };
  const stepOptions: ort.InferenceSession.SessionOptions = {
    ...base,
    ...(backend === 'webgpu'
      ? { preferredOutputLocation: Object.fromEntries(GPU_STATE.map((k) => [k, 'gpu-buffer' as const])) }
      : {}),
  };
  let featureSession: ort.InferenceSession;
  let stepSession: ort.InferenceSession;
  try {
    featureSession = await ort.InferenceSession.create(modelBytes, base);
    stepSession = await ort.InferenceSession.create(stepModelBytes(modelBytes, manifest.sha256), stepOptions);
  } catch (e) {
    throw new FindableError(
      'BACKEND_UNAVAILABLE',
      `Could not start the ${backend} backend: ${e instanceof Error ? e.message : String(e)}`,
      { backend },
      { cause: e },
    );
  }
  // Warm-up: one extractor run compiles the kernels (WebGPU shaders) before the first photo.
  onPhase('warming-up');
  const input = new ort.Tensor('float32', new Float32Array(3 * size * size), [1, 3, size, size]);
  const out = await featureSession.run({ [featureSession.inputNames[0]]: input });
  const feature = out[featureSession.outputNames[0]];
  if (feature.dims[1] !== dim) {
    throw new FindableError(
      'MODEL_INVALID',
      `The model makes ${feature.dims[1]}-d features, its manifest says ${dim}.`,
    );
  }
  // The step graph's constant inputs go to the GPU once per photo (the engine asks through `resident`).
  const device = backend === 'webgpu' ? ((await ort.env.webgpu.device) as unknown as GpuDeviceLike) : null;
  const runtime: ActivationRuntime = {
    ort,
    featureSession,
    stepSession,
    size,
    dim,
    ...(device ? { resident: residentOn(device) } : {}),
  };
  // And one step of a small grey photo through the whole engine, so the first real photo does not pay for
  // the step graph's kernel set-up (measured: the first photo took 1.5-2x the later ones without it).
  // Its target is the photo's own feature; the result is thrown away.
  const grey: RgbImage = { width: 64, height: 48, data: new Uint8Array(64 * 48 * 3).fill(128) };
  await activatePhoto(
    runtime,
    grey,
    { d: dim, encode: () => new Uint8Array(0), activationTarget: (x) => x },
    {
      steps: 1,
    },
  );
  onPhase('ready');
  if (backend === 'webgpu' && onDeviceLost) {
    // A lost device (driver reset, GPU removed, out of memory) fails every later run: report it at once.
    void Promise.resolve(ort.env.webgpu.device)
      .then((device) => (device as { lost?: Promise<{ message?: string }> } | undefined)?.lost)
      .then((info) => info && onDeviceLost(info.message || 'the GPU device was lost'))
      .catch(() => undefined);
  }
  // Step graphs with edited views (the robust preset) are built when first asked for.
  const withViews = sessionsByViewCount((views) =>
    ort.InferenceSession.create(stepModelBytes(modelBytes, manifest.sha256, views), stepOptions),
  );
  return {
    ...runtime,
    backend,
    stepSessionFor: withViews.get,
    async release() {
      for (const s of withViews.all()) await (await s).release().catch(() => undefined);
      await stepSession.release().catch(() => undefined);
      await featureSession.release().catch(() => undefined);
    },
  };
}
