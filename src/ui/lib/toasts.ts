/** One place for notices (errors, PWA events), like Squoosh's single snackbar. */
import { useSyncExternalStore } from 'react';

export interface Toast {
  id: number;
  message: string;
  kind: 'info' | 'error';
  action?: { label: string; run: () => void };
  /** Auto-dismiss after this many ms; absent: stays until dismissed. */
  timeout?: number;
}

let toasts: Toast[] = [];
let nextId = 1;
const listeners = new Set<() => void>();

function emit() {
  for (const l of listeners) l();
}

export function showToast(t: Omit<Toast, 'id'>): number {
  const id = nextId++;
  toasts = [...toasts, { ...t, id }];
  emit();
  if (t.timeout) setTimeout(() => dismissToast(id), t.timeout);
  return id;
}

export function dismissToast(id: number): void {
  toasts = toasts.filter((t) => t.id !== id);
  emit();
}

export function useToasts(): Toast[] {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => toasts,
  );
}
