import * as Comlink from 'comlink';
import type { EngineApi } from '../../workers/engine.worker';

/** The one compute worker of the page, started lazily on first use. */
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
