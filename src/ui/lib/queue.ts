/**
 * The photo queue as a pure reducer (no DOM, no worker): what each row shows and which photo runs next.
 * Status moves queued -> running -> done | error | cancelled; error and cancelled rows can be retried
 * (back to queued); any row can be removed. Only one photo runs at a time (the worker is serial anyway).
 */

import type { ActivationNumbers } from '../../../workers/protocol';

/** Just the numbers of an activation (to copy them into a queue row or a history record). */
export function activationNumbers(v: ActivationNumbers): ActivationNumbers {
  const { width, height, psnr, ssim, linf, gain, backend } = v;
  return { width, height, psnr, ssim, linf, gain, backend };
}

export type ItemStatus = 'queued' | 'running' | 'done' | 'error' | 'cancelled';

export interface ItemProgress {
  stage: string;
  step?: number;
  steps?: number;
  psnr?: number;
}

export interface ItemResult extends ActivationNumbers {
  file: Blob;
  fileName: string;
  extension: 'png' | 'jpg';
  difference: Blob;
  thumbnail: Blob;
  totalMs: number;
  /** The worker's time per activation stage (extract, prepare, optimise, compose, measure), ms. */
  timings?: Record<string, number>;
  registration: { listId: number | null; code: Uint8Array; codebookVersion: string; sha256: string };
  registeredId?: number;
}

export interface QueueItem {
  id: string;
  name: string;
  size: number;
  source: Blob;
  status: ItemStatus;
  progress: ItemProgress | null;
  error: { code: string; message: string } | null;
  result: ItemResult | null;
}

export interface QueueState {
  items: QueueItem[];
  selected: string | null;
}

export type QueueAction =
  | { type: 'add'; files: { id: string; name: string; size: number; source: Blob }[] }
  | { type: 'start'; id: string }
  | { type: 'progress'; id: string; progress: ItemProgress }
  | { type: 'done'; id: string; result: ItemResult }
  | { type: 'fail'; id: string; error: { code: string; message: string } }
  | { type: 'cancel'; id: string }
  | { type: 'cancel-all' }
  | { type: 'retry'; id: string }
  | { type: 'remove'; id: string }
  | { type: 'select'; id: string | null }
  | { type: 'registered'; id: string; registeredId: number };

export const initialQueue: QueueState = { items: [], selected: null };

function update(state: QueueState, id: string, f: (item: QueueItem) => QueueItem | null): QueueState {
  let changed = false;
  const items = state.items.map((item) => {
    if (item.id !== id) return item;
    const next = f(item);
    if (next && next !== item) changed = true;
    return next ?? item;
  });
  return changed ? { ...state, items } : state;
}

export function queueReducer(state: QueueState, action: QueueAction): QueueState {
  switch (action.type) {
    case 'add': {
      const known = new Set(state.items.map((i) => i.id));
      const fresh: QueueItem[] = action.files
        .filter((f) => !known.has(f.id))
        .map((f) => ({ ...f, status: 'queued', progress: null, error: null, result: null }));
      return fresh.length ? { ...state, items: [...state.items, ...fresh] } : state;
    }
    case 'start':
      return update(state, action.id, (i) =>
        i.status === 'queued' ? { ...i, status: 'running', progress: { stage: 'waiting' }, error: null } : null,
      );
    case 'progress':
      return update(state, action.id, (i) => (i.status === 'running' ? { ...i, progress: action.progress } : null));
    case 'done': {
      const next = update(state, action.id, (i) =>
        i.status === 'running' ? { ...i, status: 'done', progress: null, result: action.result } : null,
      );
      // Show the first finished photo without the user having to pick it.
      return next !== state && next.selected === null ? { ...next, selected: action.id } : next;
    }
    case 'fail':
      return update(state, action.id, (i) =>
        i.status === 'running'
          ? action.error.code === 'ABORTED'
            ? { ...i, status: 'cancelled', progress: null }
            : { ...i, status: 'error', progress: null, error: action.error }
          : null,
      );
    case 'cancel':
      return update(state, action.id, (i) =>
        i.status === 'queued' || i.status === 'running' ? { ...i, status: 'cancelled', progress: null } : null,
      );
    case 'cancel-all': {
      let changed = false;
      const items = state.items.map((i) => {
        if (i.status !== 'queued' && i.status !== 'running') return i;
        changed = true;
        return { ...i, status: 'cancelled' as const, progress: null };
      });
      return changed ? { ...state, items } : state;
    }
    case 'retry':
      return update(state, action.id, (i) =>
        i.status === 'error' || i.status === 'cancelled'
          ? { ...i, status: 'queued', error: null, progress: null }
          : null,
      );
    case 'remove': {
      if (!state.items.some((i) => i.id === action.id)) return state;
      return {
        items: state.items.filter((i) => i.id !== action.id),
        selected: state.selected === action.id ? null : state.selected,
      };
    }
    case 'select':
      return state.selected === action.id ? state : { ...state, selected: action.id };
    case 'registered':
      return update(state, action.id, (i) =>
        i.result ? { ...i, result: { ...i.result, registeredId: action.registeredId } } : null,
      );
  }
}

/** The photo to start next: none while one runs, else the oldest queued one. */
export function nextToRun(state: QueueState): QueueItem | null {
  if (state.items.some((i) => i.status === 'running')) return null;
  return state.items.find((i) => i.status === 'queued') ?? null;
}

export function queueSummary(state: QueueState): Record<ItemStatus, number> {
  const counts: Record<ItemStatus, number> = { queued: 0, running: 0, done: 0, error: 0, cancelled: 0 };
  for (const i of state.items) counts[i.status]++;
  return counts;
}
