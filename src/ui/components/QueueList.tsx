import { messageFor } from '../../core/error-messages';
import { fixed, formatBytes } from '../lib/format';
import type { QueueItem } from '../lib/queue';

const STAGES: Record<string, string> = {
  waiting: 'Waiting for the engine...',
  decode: 'Decoding...',
  extract: 'Extracting the feature...',
  prepare: 'Preparing...',
  optimise: 'Optimising...',
  compose: 'Composing the full-size result...',
  measure: 'Measuring quality...',
  encode: 'Encoding the file...',
};

export interface QueueActions {
  cancel(item: QueueItem): void;
  retry(item: QueueItem): void;
  remove(item: QueueItem): void;
  select(item: QueueItem): void;
  download(item: QueueItem): void;
  register(item: QueueItem): void;
}

function Status({ item }: { item: QueueItem }) {
  switch (item.status) {
    case 'queued':
      return <span>Queued</span>;
    case 'running': {
      const p = item.progress;
      if (p?.step && p.steps) {
        return (
          <span className="running">
            <progress value={p.step} max={p.steps} aria-label={`${item.name} progress`} />
            Step {p.step}/{p.steps}, PSNR {fixed(p.psnr, 1)} dB
          </span>
        );
      }
      return (
        <span className="running">
          <progress aria-label={`${item.name} progress`} />
          {STAGES[p?.stage ?? 'waiting'] ?? p?.stage}
        </span>
      );
    }
    case 'done':
      return (
        <span className="ok">
          Done: PSNR {fixed(item.result?.psnr, 1)} dB
          {item.result?.registeredId !== undefined ? `, registered #${item.result.registeredId}` : ''}
        </span>
      );
    case 'error':
      return (
        <span className="error" role="alert">
          {messageFor(item.error?.code ?? '')}
        </span>
      );
    case 'cancelled':
      return <span className="muted">Cancelled</span>;
  }
}

export function QueueList({
  items,
  selected,
  actions,
  canRegister,
}: {
  items: QueueItem[];
  selected: string | null;
  actions: QueueActions;
  canRegister: boolean;
}) {
  if (items.length === 0) return null;
  return (
    <ul className="queue" aria-label="Photos">
      {items.map((item) => (
        <li
          key={item.id}
          className={`row ${item.status} ${selected === item.id ? 'selected' : ''}`}
          data-testid="queue-row"
          data-status={item.status}
          data-name={item.name}
          data-error-code={item.error?.code}
          data-backend={item.result?.backend}
          data-total-ms={item.result?.totalMs}
          data-timings={item.result?.timings && JSON.stringify(item.result.timings)}
        >
          <div className="row-name">
            <strong title={item.name}>{item.name}</strong>
            <span className="muted"> {formatBytes(item.size)}</span>
          </div>
          <div className="row-status" aria-live="polite">
            <Status item={item} />
          </div>
          <div className="row-actions">
            {item.status === 'done' && (
              <>
                <button type="button" onClick={() => actions.select(item)} aria-pressed={selected === item.id}>
                  Compare<span className="sr-only"> {item.name}</span>
                </button>
                <button type="button" onClick={() => actions.download(item)}>
                  Download<span className="sr-only"> {item.name}</span>
                </button>
                {canRegister && item.result?.registeredId === undefined && (
                  <button type="button" onClick={() => actions.register(item)}>
                    Register<span className="sr-only"> {item.name}</span>
                  </button>
                )}
              </>
            )}
            {(item.status === 'queued' || item.status === 'running') && (
              <button type="button" onClick={() => actions.cancel(item)}>
                Cancel<span className="sr-only"> {item.name}</span>
              </button>
            )}
            {(item.status === 'error' || item.status === 'cancelled') && (
              <button type="button" onClick={() => actions.retry(item)}>
                Retry<span className="sr-only"> {item.name}</span>
              </button>
            )}
            {item.status !== 'running' && (
              <button type="button" onClick={() => actions.remove(item)}>
                Remove<span className="sr-only"> {item.name}</span>
              </button>
            )}
          </div>
        </li>
      ))}
    </ul>
  );
}
