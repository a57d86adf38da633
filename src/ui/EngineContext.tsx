/**
 * The worker's start-up state for the whole UI: downloads (bytes), session creation / warm-up, the
 * backend in use, and errors. init() runs once per backend preference; jobs also wait for it.
 */
import * as Comlink from 'comlink';
import { createContext, type ReactNode, useContext, useEffect, useMemo, useState } from 'react';
import type { EngineInfo, InitProgress } from '../../workers/protocol';
import type { BackendPreference } from '../core/runtime/backend-choice';
import { engine } from './engine-client';
import { markReady } from './lib/readiness';

export interface DownloadState {
  loaded: number;
  total: number | null;
}

export interface EngineState {
  status: 'loading' | 'ready' | 'error';
  preference: BackendPreference;
  info: EngineInfo | null;
  downloads: Partial<Record<'model' | 'codebook' | 'manifest', DownloadState>>;
  phase: 'downloading' | 'creating' | 'warming-up' | 'ready';
  error: { code: string; message: string } | null;
  fallback: string | null;
  /** Feeds job-time init events (a fallback to wasm during a job) back into this state. */
  onInitEvent: (p: InitProgress) => void;
}

const Ctx = createContext<EngineState | null>(null);

export function EngineProvider({ preference, children }: { preference: BackendPreference; children: ReactNode }) {
  const [status, setStatus] = useState<EngineState['status']>('loading');
  const [info, setInfo] = useState<EngineInfo | null>(null);
  const [downloads, setDownloads] = useState<EngineState['downloads']>({});
  const [phase, setPhase] = useState<EngineState['phase']>('downloading');
  const [error, setError] = useState<EngineState['error']>(null);
  const [fallback, setFallback] = useState<string | null>(null);

  const onInitEvent = useMemo(
    () => (p: InitProgress) => {
      if (p.kind === 'download') setDownloads((d) => ({ ...d, [p.file]: { loaded: p.loaded, total: p.total } }));
      else if (p.kind === 'session') setPhase(p.phase);
      else if (p.kind === 'backend-fallback') {
        setFallback(p.reason);
        setInfo((i) => (i ? { ...i, backend: 'wasm' } : i));
      }
    },
    [],
  );

  useEffect(() => {
    let live = true;
    setStatus('loading');
    setError(null);
    engine()
      .init(
        { preference },
        Comlink.proxy((p: InitProgress) => live && onInitEvent(p)),
      )
      .then((r) => {
        if (!live) return;
        if (r.ok) {
          setInfo(r.value);
          setStatus('ready');
          setPhase('ready');
          markReady('engineReady');
        } else {
          setError(r.error);
          setStatus('error');
        }
      })
      .catch((e: unknown) => {
        if (!live) return;
        setError({ code: 'UNKNOWN', message: e instanceof Error ? e.message : String(e) });
        setStatus('error');
      });
    return () => {
      live = false;
    };
  }, [preference, onInitEvent]);

  const value = useMemo<EngineState>(
    () => ({ status, preference, info, downloads, phase, error, fallback, onInitEvent }),
    [status, preference, info, downloads, phase, error, fallback, onInitEvent],
  );
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useEngineState(): EngineState {
  const v = useContext(Ctx);
  if (!v) throw new Error('useEngineState outside EngineProvider');
  return v;
}
