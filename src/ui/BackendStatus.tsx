import { useEffect, useState } from 'react';
import { messageFor } from '../core/error-messages';
import type { BackendChoice } from '../core/runtime/backend-choice';
import { useEngineState } from './EngineContext';
import { engine } from './engine-client';
import { formatBytes } from './lib/format';

function Bar({ label, loaded, total }: { label: string; loaded: number; total: number | null }) {
  return (
    <div className="download">
      <span>{label}</span>
      <progress aria-label={`${label} download`} value={loaded} max={total ?? undefined} />
      <span className="muted">
        {formatBytes(loaded)}
        {total ? ` of ${formatBytes(total)}` : ''}
      </span>
    </div>
  );
}

/**
 * Shows which compute backend the worker uses and why (WebGPU or WebAssembly), then the model download
 * and session warm-up, then what is loaded.
 */
export function BackendStatus() {
  const state = useEngineState();
  const [choice, setChoice] = useState<BackendChoice | null>(null);
  const [failure, setFailure] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    engine()
      .probeBackend(state.preference)
      .then((c) => live && setChoice(c))
      .catch((e: unknown) => live && setFailure(e instanceof Error ? e.message : String(e)));
    return () => {
      live = false;
    };
  }, [state.preference]);

  const backend = state.fallback ? 'wasm' : (state.info?.backend ?? choice?.backend);
  return (
    <section className="backend-panel" aria-label="Compute engine">
      {failure ? (
        <p className="backend" role="status" data-testid="backend" data-backend="none">
          The compute worker could not start: {failure}
        </p>
      ) : !choice ? (
        <p className="backend" role="status" data-testid="backend" data-backend="pending">
          Checking this device for WebGPU...
        </p>
      ) : (
        <p
          className="backend"
          role="status"
          data-testid="backend"
          data-backend={backend}
          data-adapter={choice.adapter ? (choice.adapter.isFallbackAdapter ? 'software' : 'hardware') : 'none'}
        >
          <strong>{backend === 'webgpu' ? 'Compute: WebGPU' : 'Compute: WebAssembly (CPU)'}</strong>
          <span className="backend-reason">
            {' '}
            {state.fallback ? `WebGPU failed (${state.fallback}), so WebAssembly is used.` : choice.reason}
          </span>
        </p>
      )}
      <div
        className="engine"
        data-testid="engine-status"
        data-state={state.status}
        data-dim={state.info?.extractor.dim}
        data-test-model={state.info?.extractor.test}
        data-codebook-version={state.info?.codebook.version}
        aria-live="polite"
      >
        {state.status === 'loading' && (
          <>
            {state.downloads.model ? (
              <Bar label="Model" loaded={state.downloads.model.loaded} total={state.downloads.model.total} />
            ) : (
              <span className="muted">Looking for the model and codebook...</span>
            )}
            {state.phase === 'creating' && <span>Creating the sessions...</span>}
            {state.phase === 'warming-up' && <span>Compiling kernels / warming up...</span>}
          </>
        )}
        {state.status === 'error' && state.error && (
          <p className="error" role="alert">
            {messageFor(state.error.code)} <span className="muted">({state.error.message})</span>
          </p>
        )}
        {state.status === 'ready' && state.info && (
          <span className="muted">
            Ready: model {state.info.extractor.id} ({state.info.extractor.dim}-d), index {state.info.codebook.factory}
            {state.info.codebook.cached ? ' (codebook from the offline copy)' : ''}.
          </span>
        )}
        {state.info?.extractor.test && (
          <p className="warning" data-testid="test-model">
            Test model in use: the real extractor or codebook is not built yet. Results are not useful for copy
            detection.
          </p>
        )}
      </div>
    </section>
  );
}
