import { useEffect, useState } from 'react';
import type { BackendChoice, BackendPreference } from '../core/runtime/backend-choice';
import { engine } from './engine-client';

function preferenceFromUrl(): BackendPreference {
  const wanted = new URLSearchParams(window.location.search).get('backend');
  return wanted === 'webgpu' || wanted === 'wasm' ? wanted : 'auto';
}

/** Shows which compute backend the worker will use and why (WebGPU or WebAssembly). */
export function BackendStatus() {
  const [choice, setChoice] = useState<BackendChoice | null>(null);
  const [failure, setFailure] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    engine()
      .probeBackend(preferenceFromUrl())
      .then((c) => live && setChoice(c))
      .catch((e: unknown) => live && setFailure(e instanceof Error ? e.message : String(e)));
    return () => {
      live = false;
    };
  }, []);

  if (failure) {
    return (
      <p className="backend" role="status" data-testid="backend" data-backend="none">
        The compute worker could not start: {failure}
      </p>
    );
  }
  if (!choice) {
    return (
      <p className="backend" role="status" data-testid="backend" data-backend="pending">
        Checking this device for WebGPU...
      </p>
    );
  }
  return (
    <p
      className="backend"
      role="status"
      data-testid="backend"
      data-backend={choice.backend}
      data-adapter={choice.adapter ? (choice.adapter.isFallbackAdapter ? 'software' : 'hardware') : 'none'}
    >
      <strong>{choice.backend === 'webgpu' ? 'Compute: WebGPU' : 'Compute: WebAssembly (CPU)'}</strong>
      <span className="backend-reason"> {choice.reason}</span>
    </p>
  );
}
