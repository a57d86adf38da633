/**
 * "Check a copy": the suspected copy's feature is extracted here, in the worker; only the feature goes
 * to POST /api/search. The server holds no originals: matches are what was registered (title, creator).
 */
import * as Comlink from 'comlink';
import { useRef, useState } from 'react';
import type { JobProgress } from '../../../workers/protocol';
import { messageFor } from '../../core/error-messages';
import type { BackendPreference } from '../../core/runtime/backend-choice';
import { useEngineState } from '../EngineContext';
import { engine, jobId } from '../engine-client';
import { ApiError, type SearchAnswer, searchFeature } from '../lib/api';
import { fixed } from '../lib/format';

export function CheckCopy({ preference }: { preference: BackendPreference }) {
  const { onInitEvent } = useEngineState();
  const [state, setState] = useState<'idle' | 'working' | 'done' | 'error'>('idle');
  const [answer, setAnswer] = useState<SearchAnswer | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [name, setName] = useState('');
  const current = useRef<string | null>(null);

  async function check(file: File) {
    if (current.current) await engine().cancel(current.current);
    const id = jobId('check');
    current.current = id;
    setName(file.name);
    setState('working');
    setAnswer(null);
    setError(null);
    const bytes = await file.arrayBuffer();
    const r = await engine().extract(
      id,
      Comlink.transfer(bytes, [bytes]),
      preference,
      Comlink.proxy((p: JobProgress) => {
        if (p.kind === 'download' || p.kind === 'session' || p.kind === 'backend-fallback') onInitEvent(p);
      }),
    );
    if (current.current !== id) return;
    current.current = null;
    if (!r.ok) {
      setError(r.error.code === 'UNKNOWN' ? r.error.message : messageFor(r.error.code));
      setState(r.error.code === 'ABORTED' ? 'idle' : 'error');
      return;
    }
    try {
      setAnswer(await searchFeature(r.value.feature, 5));
      setState('done');
    } catch (e) {
      setError(e instanceof ApiError ? `${messageFor(e.code)} (${e.message})` : String(e));
      setState('error');
    }
  }

  return (
    <details className="check-copy">
      <summary>Check a copy</summary>
      <p className="muted">
        Found a photo online that may be a copy of yours? Pick it here: its feature is computed on this device and only
        that vector is sent to the server's search. Originals are not stored on the server.
      </p>
      <label className="button-like">
        Choose a suspected copy
        <input
          type="file"
          accept="image/*"
          className="sr-only"
          data-testid="check-input"
          onChange={(e) => {
            const f = e.target.files?.[0];
            e.target.value = '';
            if (f) void check(f);
          }}
        />
      </label>
      {state === 'working' && (
        <p role="status">
          Checking {name}...{' '}
          <button type="button" onClick={() => current.current && engine().cancel(current.current)}>
            Cancel
          </button>
        </p>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {answer && (
        <div data-testid="check-results" aria-live="polite">
          {answer.matches.length === 0 ? (
            <p>No registered photo is near {name}.</p>
          ) : (
            <ol className="matches">
              {answer.matches.map((m) => (
                <li key={m.id} data-decision={m.decision}>
                  <strong>{m.decision === 'match' ? 'Match' : 'Not a match'}</strong>: #{m.id} {m.title}
                  {m.creatorName ? ` by ${m.creatorName}` : ''}
                  {m.creatorUrl && (
                    <>
                      {' '}
                      (
                      <a href={m.creatorUrl} rel="noopener noreferrer" target="_blank">
                        {m.creatorUrl}
                      </a>
                      )
                    </>
                  )}{' '}
                  <span className="muted">
                    distance {fixed(m.distance, 3)} (threshold {fixed(answer.threshold, 2)})
                  </span>
                </li>
              ))}
            </ol>
          )}
        </div>
      )}
    </details>
  );
}
