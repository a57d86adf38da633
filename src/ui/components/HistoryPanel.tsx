import { useEffect, useState } from 'react';
import { fixed } from '../lib/format';
import { deleteHistory, type HistoryRecord, listHistory } from '../lib/history';

function Thumb({ blob, alt }: { blob: Blob; alt: string }) {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    const u = URL.createObjectURL(blob);
    setUrl(u);
    return () => URL.revokeObjectURL(u);
  }, [blob]);
  return url ? <img src={url} alt={alt} width={80} /> : null;
}

export function HistoryPanel({ version }: { version: number }) {
  const [records, setRecords] = useState<HistoryRecord[] | null>(null);
  const [failed, setFailed] = useState(false);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `version` is the refresh signal.
  useEffect(() => {
    listHistory()
      .then(setRecords)
      .catch(() => setFailed(true));
  }, [version]);

  return (
    <details className="history">
      <summary>History{records ? ` (${records.length})` : ''}</summary>
      {failed && <p className="muted">History is unavailable (IndexedDB is blocked in this browser mode).</p>}
      {records?.length === 0 && <p className="muted">No activations yet. Only numbers and a thumbnail are kept.</p>}
      <ul className="history-list">
        {records?.map((r) => (
          <li key={r.id} data-testid="history-row">
            <Thumb blob={r.thumbnail} alt={`${r.name}, thumbnail`} />
            <div>
              <strong>{r.name}</strong>
              <div className="muted">
                {new Date(r.createdAt).toLocaleString()} - {r.width}x{r.height}, {r.backend}
              </div>
              <div>
                PSNR {fixed(r.psnr, 1)} dB, SSIM {fixed(r.ssim, 3)}, L-inf {fixed(r.linf, 0)}, cosine{' '}
                {fixed(r.gain.cosineBefore, 3)} &rarr; {fixed(r.gain.cosineAfter, 3)}
                {r.registeredId !== undefined ? `, registered #${r.registeredId}` : ''}
              </div>
            </div>
            <button
              type="button"
              onClick={async () => {
                await deleteHistory(r.id);
                setRecords((all) => all?.filter((x) => x.id !== r.id) ?? null);
              }}
            >
              Delete<span className="sr-only"> {r.name} from history</span>
            </button>
          </li>
        ))}
      </ul>
    </details>
  );
}
