/**
 * The compute worker: a thin comlink shell around src/core. No math lives here; it only owns the
 * long-lived runtime state (backend choice now; onnxruntime sessions as they land).
 */
import * as Comlink from 'comlink';
import {
  type BackendChoice,
  type BackendPreference,
  chooseBackend,
  type GpuLike,
} from '../src/core/runtime/backend-choice';

let choice: Promise<BackendChoice> | null = null;
let choicePreference: BackendPreference | null = null;

const api = {
  /** Decides (once per preference) which backend this worker will compute on, and why. */
  probeBackend(preference: BackendPreference = 'auto'): Promise<BackendChoice> {
    if (!choice || choicePreference !== preference) {
      const gpu = (self.navigator as unknown as { gpu?: GpuLike }).gpu;
      choice = chooseBackend(gpu, preference);
      choicePreference = preference;
    }
    return choice;
  },
};

export type EngineApi = typeof api;

Comlink.expose(api);
