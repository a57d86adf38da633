/**
 * The app: a whole-window drop zone feeding a queue of photos that the worker activates one by one,
 * the compare view, downloads (one file or a ZIP), history, "check a copy" and settings. Components
 * hold no math: numbers come from the worker (src/core), state changes from the pure reducer.
 */
import * as Comlink from 'comlink';
import { useCallback, useEffect, useReducer, useRef, useState } from 'react';
import type { JobProgress } from '../../workers/protocol';
import { messageFor } from '../core/error-messages';
import type { BackendPreference } from '../core/runtime/backend-choice';
import { BackendStatus } from './BackendStatus';
import { CheckCopy } from './components/CheckCopy';
import { CompareView } from './components/CompareView';
import { HistoryPanel } from './components/HistoryPanel';
import { type QueueActions, QueueList } from './components/QueueList';
import { SettingsPanel } from './components/SettingsPanel';
import { Toasts } from './components/Toasts';
import { EngineProvider, useEngineState } from './EngineContext';
import { engine } from './engine-client';
import { ApiError, loadToken, registerImage, saveToken } from './lib/api';
import { addHistory, HISTORY_RECORD_SCHEMA } from './lib/history';
import { resultName, zipName } from './lib/names';
import {
  activationNumbers,
  type ItemResult,
  initialQueue,
  nextToRun,
  type QueueItem,
  queueReducer,
  queueSummary,
} from './lib/queue';
import { markReady } from './lib/readiness';
import { loadSettings, saveSettings, toActivationSettings, type UiSettings } from './lib/settings';
import { showToast } from './lib/toasts';
import { buildZip } from './lib/zip';

function preferenceFromUrl(): BackendPreference | null {
  const wanted = new URLSearchParams(window.location.search).get('backend');
  return wanted === 'webgpu' || wanted === 'wasm' || wanted === 'auto' ? wanted : null;
}

function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 30_000);
}

export function App() {
  const [settings, setSettings] = useState<UiSettings>(() => loadSettings(storage()));
  const preference = preferenceFromUrl() ?? settings.backend;

  useEffect(() => {
    saveSettings(storage(), settings);
    if (settings.theme === 'system') delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = settings.theme;
  }, [settings]);

  return (
    <EngineProvider preference={preference}>
      <Workspace settings={settings} onSettings={setSettings} preference={preference} />
    </EngineProvider>
  );
}

let fileCounter = 0;

function Workspace({
  settings,
  onSettings,
  preference,
}: {
  settings: UiSettings;
  onSettings: (s: UiSettings) => void;
  preference: BackendPreference;
}) {
  const engineState = useEngineState();
  const [queue, dispatch] = useReducer(queueReducer, initialQueue);
  const [dragging, setDragging] = useState(false);
  const [historyVersion, setHistoryVersion] = useState(0);
  const [token, setToken] = useState(loadToken);
  const running = useRef<string | null>(null);
  const [, setTick] = useState(0);
  const settingsRef = useRef(settings);
  settingsRef.current = settings;
  const tokenRef = useRef(token);
  tokenRef.current = token;
  const onInitEvent = engineState.onInitEvent;

  const addFiles = useCallback((files: File[]) => {
    if (files.length === 0) return;
    dispatch({
      type: 'add',
      files: files.map((f) => ({
        id: `photo-${++fileCounter}`,
        name: f.name || 'pasted image',
        size: f.size,
        source: f,
      })),
    });
  }, []);

  const register = useCallback(async (item: QueueItem, result: ItemResult) => {
    const t = tokenRef.current;
    if (!t) {
      showToast({ kind: 'error', message: 'Enter an access token in the settings to register photos.', timeout: 8000 });
      return;
    }
    try {
      const { id } = await registerImage({ ...result.registration, title: item.name }, t);
      dispatch({ type: 'registered', id: item.id, registeredId: id });
      showToast({ kind: 'info', message: `${item.name} is registered (#${id}).`, timeout: 5000 });
    } catch (e) {
      const message = e instanceof ApiError ? `${messageFor(e.code)} (${e.message})` : String(e);
      showToast({ kind: 'error', message: `Registration of ${item.name} failed: ${message}`, timeout: 10000 });
    }
  }, []);

  const run = useCallback(
    async (item: QueueItem) => {
      const s = settingsRef.current;
      const bytes = await item.source.arrayBuffer();
      const r = await engine().activate(
        item.id,
        Comlink.transfer(bytes, [bytes]),
        toActivationSettings(s),
        { format: s.format, quality: s.jpegQuality / 100, keepMetadata: s.keepMetadata },
        preference,
        Comlink.proxy((p: JobProgress) => {
          if (p.kind === 'stage') dispatch({ type: 'progress', id: item.id, progress: { stage: p.stage } });
          else if (p.kind === 'step') {
            dispatch({ type: 'progress', id: item.id, progress: { stage: 'optimise', ...p } });
          } else onInitEvent(p);
        }),
      );
      if (!r.ok) return dispatch({ type: 'fail', id: item.id, error: r.error });
      const v = r.value;
      const result: ItemResult = {
        file: new Blob([v.file.bytes], { type: v.file.mime }),
        fileName: resultName(item.name, v.file.extension, new Set()),
        extension: v.file.extension,
        difference: new Blob([v.difference], { type: 'image/png' }),
        thumbnail: new Blob([v.thumbnail], { type: 'image/jpeg' }),
        ...activationNumbers(v),
        totalMs: v.totalMs,
        timings: v.timings,
        registration: v.registration,
      };
      dispatch({ type: 'done', id: item.id, result });
      for (const warning of v.metadata?.warnings ?? []) {
        showToast({ kind: 'info', message: `${item.name}: ${warning}`, timeout: 10000 });
      }
      addHistory({
        schema: HISTORY_RECORD_SCHEMA,
        id: `${item.id}-${Date.now()}`,
        name: item.name,
        createdAt: Date.now(),
        ...activationNumbers(v),
        format: v.file.extension,
        thumbnail: result.thumbnail,
        codebookVersion: v.registration.codebookVersion,
        sha256: v.registration.sha256,
      })
        .then(() => setHistoryVersion((n) => n + 1))
        .catch(() => undefined);
      if (s.registerResults) void register(item, result);
    },
    [preference, onInitEvent, register],
  );

  // The runner: whenever nothing runs and a photo waits, start it.
  useEffect(() => {
    if (running.current) return;
    const next = nextToRun(queue);
    if (!next) return;
    running.current = next.id;
    dispatch({ type: 'start', id: next.id });
    run(next)
      .catch((e: unknown) => dispatch({ type: 'fail', id: next.id, error: { code: 'UNKNOWN', message: String(e) } }))
      .finally(() => {
        running.current = null;
        // Re-render so this effect looks again, even when the last dispatch changed nothing (cancelled run).
        setTick((t) => t + 1);
      });
  });

  // Whole-window drop zone and paste.
  useEffect(() => {
    let depth = 0;
    const hasFiles = (e: DragEvent) => Array.from(e.dataTransfer?.types ?? []).includes('Files');
    const enter = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      depth++;
      setDragging(true);
    };
    const leave = () => {
      depth = Math.max(0, depth - 1);
      if (depth === 0) setDragging(false);
    };
    const over = (e: DragEvent) => {
      if (hasFiles(e)) e.preventDefault();
    };
    const drop = (e: DragEvent) => {
      if (!e.dataTransfer?.files.length) return;
      e.preventDefault();
      depth = 0;
      setDragging(false);
      addFiles(Array.from(e.dataTransfer.files));
    };
    const paste = (e: ClipboardEvent) => {
      const files = Array.from(e.clipboardData?.files ?? []);
      if (files.length) {
        e.preventDefault();
        addFiles(files);
      }
    };
    window.addEventListener('dragenter', enter);
    window.addEventListener('dragleave', leave);
    window.addEventListener('dragover', over);
    window.addEventListener('drop', drop);
    window.addEventListener('paste', paste);
    // From here a dropped or pasted photo is queued (it runs once the engine is ready).
    markReady('dropReady');
    return () => {
      window.removeEventListener('dragenter', enter);
      window.removeEventListener('dragleave', leave);
      window.removeEventListener('dragover', over);
      window.removeEventListener('drop', drop);
      window.removeEventListener('paste', paste);
    };
  }, [addFiles]);

  const actions: QueueActions = {
    cancel(item) {
      if (item.status === 'running') void engine().cancel(item.id);
      dispatch({ type: 'cancel', id: item.id });
    },
    retry: (item) => dispatch({ type: 'retry', id: item.id }),
    remove: (item) => dispatch({ type: 'remove', id: item.id }),
    select: (item) => dispatch({ type: 'select', id: item.id }),
    download(item) {
      if (item.result) saveBlob(item.result.file, item.result.fileName);
    },
    register(item) {
      if (item.result) void register(item, item.result);
    },
  };

  const counts = queueSummary(queue);
  const done = queue.items.filter((i) => i.status === 'done' && i.result);
  const selected = queue.items.find((i) => i.id === queue.selected && i.result) ?? null;

  return (
    <main className="app">
      <header className="app-header">
        <h1>Findable</h1>
        <p className="tagline">
          Make your photos findable after you publish them. Photos are processed on this device and never uploaded.
        </p>
      </header>
      <BackendStatus />
      <section className="intake" aria-label="Add photos">
        <p>
          Drop photos anywhere in this window, paste them, or{' '}
          <label className="button-like">
            choose files
            <input
              type="file"
              multiple
              accept="image/*"
              className="sr-only"
              data-testid="file-input"
              onChange={(e) => {
                addFiles(Array.from(e.target.files ?? []));
                e.target.value = '';
              }}
            />
          </label>
          .
        </p>
      </section>
      <SettingsPanel
        settings={settings}
        onChange={onSettings}
        token={token}
        onToken={(t) => {
          setToken(t);
          saveToken(t);
        }}
      />
      {queue.items.length > 0 && (
        <section className="queue-panel" aria-label="Queue">
          <div className="queue-toolbar">
            <span data-testid="queue-summary">
              {counts.done} done, {counts.running + counts.queued} to go
              {counts.error ? `, ${counts.error} failed` : ''}
              {counts.cancelled ? `, ${counts.cancelled} cancelled` : ''}
            </span>
            {counts.running + counts.queued > 0 && (
              <button
                type="button"
                onClick={() => {
                  if (running.current) void engine().cancel(running.current);
                  dispatch({ type: 'cancel-all' });
                }}
              >
                Cancel all
              </button>
            )}
            {done.length > 0 && (
              <button
                type="button"
                data-testid="download-zip"
                onClick={async () => {
                  const blob = await buildZip(
                    done.map((i) => ({ name: i.name, extension: i.result!.extension, file: i.result!.file })),
                  );
                  saveBlob(blob, zipName(new Date()));
                }}
              >
                Download all ({done.length}) as ZIP
              </button>
            )}
          </div>
          <QueueList items={queue.items} selected={queue.selected} actions={actions} canRegister={Boolean(token)} />
        </section>
      )}
      {selected && <CompareView key={selected.id} item={selected} />}
      <CheckCopy preference={preference} />
      <HistoryPanel version={historyVersion} />
      {dragging && (
        <div className="drop-overlay" aria-hidden="true">
          Drop photos to make them findable
        </div>
      )}
      <Toasts />
    </main>
  );
}
