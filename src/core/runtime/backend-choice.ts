/**
 * Which onnxruntime-web backend to run on, and why. DOM-free: the caller passes `navigator.gpu`
 * (or undefined), so the policy is testable in Node with a fake.
 *
 * Policy: a hardware WebGPU adapter -> 'webgpu'. A software fallback adapter (SwiftShader) is
 * correct but ~100x slower than wasm, so it gets 'wasm' unless the user explicitly asks for WebGPU.
 * `requestAdapter()` is the real test: `'gpu' in navigator` is true even where no adapter exists.
 */
export type ComputeBackend = 'webgpu' | 'wasm';
export type BackendPreference = 'auto' | ComputeBackend;

export interface AdapterSummary {
  vendor: string;
  architecture: string;
  description: string;
  isFallbackAdapter: boolean;
}

export interface BackendChoice {
  backend: ComputeBackend;
  reason: string;
  adapter: AdapterSummary | null;
}

/** The slice of the WebGPU API this needs (navigator.gpu in a page or a worker). */
export interface GpuLike {
  requestAdapter(options?: { powerPreference?: 'high-performance' | 'low-power' }): Promise<AdapterLike | null>;
}

export interface AdapterLike {
  readonly info?: { vendor?: string; architecture?: string; description?: string; isFallbackAdapter?: boolean };
  /** Older Chromium exposed the flag on the adapter itself. */
  readonly isFallbackAdapter?: boolean;
}

function summarize(adapter: AdapterLike): AdapterSummary {
  const info = adapter.info ?? {};
  return {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    description: info.description ?? '',
    isFallbackAdapter: Boolean(info.isFallbackAdapter ?? adapter.isFallbackAdapter),
  };
}

function adapterName(a: AdapterSummary): string {
  return [a.vendor, a.architecture, a.description].filter(Boolean).join(' ') || 'unnamed adapter';
}

export async function chooseBackend(
  gpu: GpuLike | undefined,
  preference: BackendPreference = 'auto',
): Promise<BackendChoice> {
  if (preference === 'wasm') {
    return { backend: 'wasm', reason: 'WebAssembly was chosen in the settings.', adapter: null };
  }
  if (!gpu) {
    return {
      backend: 'wasm',
      reason: 'This browser does not expose WebGPU (navigator.gpu is missing), so the CPU (WebAssembly) is used.',
      adapter: null,
    };
  }
  let adapter: AdapterLike | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return { backend: 'wasm', reason: `WebGPU failed to start (${why}), so WebAssembly is used.`, adapter: null };
  }
  if (!adapter) {
    return {
      backend: 'wasm',
      reason: 'WebGPU is present but no GPU adapter is available, so WebAssembly is used.',
      adapter: null,
    };
  }
  const summary = summarize(adapter);
  const name = adapterName(summary);
  if (summary.isFallbackAdapter && preference !== 'webgpu') {
    return {
      backend: 'wasm',
      reason: `Only a software WebGPU adapter was found (${name}); WebAssembly is faster, so it is used.`,
      adapter: summary,
    };
  }
  return {
    backend: 'webgpu',
    reason: summary.isFallbackAdapter
      ? `WebGPU was requested; using the software adapter (${name}), which is slow.`
      : `WebGPU adapter found (${name}).`,
    adapter: summary,
  };
}
