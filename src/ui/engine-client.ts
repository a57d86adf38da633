import * as Comlink from 'comlink';
import type { EngineApi } from '../../workers/engine.worker';

/** The one compute worker of the page, started lazily on first use and never terminated (sessions are
 * expensive): jobs are cancelled by id instead. */
let remote: Comlink.Remote<EngineApi> | null = null;

export function engine(): Comlink.Remote<EngineApi> {
  if (!remote) {
    const worker = new Worker(new URL('../../workers/engine.worker.ts', import.meta.url), {
      type: 'module',
      name: 'findable-engine',
    });
    remote = Comlink.wrap<EngineApi>(worker);
  }
  return remote;
}

let counter = 0;
/** A fresh job id for engine calls (cancel(id) aborts that job only). */
export function jobId(prefix: string): string {
  counter++;
  return `${prefix}-${Date.now().toString(36)}-${counter}`;
}

/** Hooks for end-to-end tests (window.findableDebug): simulate a lost WebGPU device. */
export const debugHooks = {
  injectGpuFault: () => engine().injectGpuFault(),
};
