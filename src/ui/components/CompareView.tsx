/**
 * Before / after: one split view with a handle (range input, keys 1/2/3 = left / centre / right), both
 * layers under one zoom-and-pan transform (so they cannot drift apart), an amplified difference view,
 * and the numbers the worker measured. Display only: no math here.
 */
import { type PointerEvent, useEffect, useRef, useState } from 'react';
import { fixed } from '../lib/format';
import type { QueueItem } from '../lib/queue';

function useObjectUrl(blob: Blob | null | undefined): string | null {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    if (!blob) return setUrl(null);
    const u = URL.createObjectURL(blob);
    setUrl(u);
    return () => URL.revokeObjectURL(u);
  }, [blob]);
  return url;
}

const ZOOMS = [0.25, 0.5, 1, 2, 4, 8, 16];

export function CompareView({ item }: { item: QueueItem }) {
  const result = item.result;
  const before = useObjectUrl(item.source);
  const after = useObjectUrl(result?.file);
  const diff = useObjectUrl(result?.difference);
  const [split, setSplit] = useState(50);
  const [zoom, setZoom] = useState(1);
  const [pan, setPan] = useState({ x: 0, y: 0 });
  const [view, setView] = useState<'activated' | 'difference'>('activated');
  const drag = useRef<{ x: number; y: number; px: number; py: number } | null>(null);
  const frame = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement | null;
      if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable)) {
        return;
      }
      if (e.key === '1') setSplit(100);
      else if (e.key === '2') setSplit(50);
      else if (e.key === '3') setSplit(0);
      else if (e.key === '+' || e.key === '=') setZoom((z) => ZOOMS.find((v) => v > z) ?? z);
      else if (e.key === '-') setZoom((z) => [...ZOOMS].reverse().find((v) => v < z) ?? z);
      else if (e.key === '0') {
        setZoom(1);
        setPan({ x: 0, y: 0 });
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  useEffect(() => {
    const el = frame.current;
    if (!el) return;
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      setZoom((z) => Math.min(16, Math.max(0.25, z * (e.deltaY < 0 ? 1.25 : 0.8))));
    };
    el.addEventListener('wheel', onWheel, { passive: false });
    return () => el.removeEventListener('wheel', onWheel);
  }, []);

  if (!result) return null;
  const transform = `translate(${pan.x}px, ${pan.y}px) scale(${zoom})`;
  const onDown = (e: PointerEvent<HTMLDivElement>) => {
    drag.current = { x: e.clientX, y: e.clientY, px: pan.x, py: pan.y };
    e.currentTarget.setPointerCapture(e.pointerId);
  };
  const onMove = (e: PointerEvent<HTMLDivElement>) => {
    const d = drag.current;
    if (d) setPan({ x: d.px + e.clientX - d.x, y: d.py + e.clientY - d.y });
  };
  const onUp = () => {
    drag.current = null;
  };
  const gainPct = (1 - result.gain.after / (result.gain.before || 1)) * 100;

  return (
    <section className="compare" aria-label={`Compare ${item.name}`} data-testid="compare">
      <div className="compare-toolbar">
        <fieldset className="segmented">
          <legend className="sr-only">Right side shows</legend>
          <label>
            <input
              type="radio"
              name="compare-view"
              checked={view === 'activated'}
              onChange={() => setView('activated')}
            />
            Activated
          </label>
          <label>
            <input
              type="radio"
              name="compare-view"
              checked={view === 'difference'}
              onChange={() => setView('difference')}
            />
            Difference x10
          </label>
        </fieldset>
        <label className="split-label">
          Split
          <input
            type="range"
            min={0}
            max={100}
            value={split}
            aria-label="Split position (keys 1, 2, 3)"
            onChange={(e) => setSplit(Number(e.target.value))}
            data-testid="split"
          />
        </label>
        <fieldset className="zoom">
          <legend className="sr-only">Zoom</legend>
          <button type="button" onClick={() => setZoom((z) => [...ZOOMS].reverse().find((v) => v < z) ?? z)}>
            <span aria-hidden="true">-</span>
            <span className="sr-only">Zoom out</span>
          </button>
          <output aria-label="Zoom level" data-testid="zoom">
            {Math.round(zoom * 100)}%
          </output>
          <button type="button" onClick={() => setZoom((z) => ZOOMS.find((v) => v > z) ?? z)}>
            <span aria-hidden="true">+</span>
            <span className="sr-only">Zoom in</span>
          </button>
          <button
            type="button"
            onClick={() => {
              setZoom(1);
              setPan({ x: 0, y: 0 });
            }}
          >
            Fit
          </button>
        </fieldset>
      </div>
      <div
        className="compare-frame"
        ref={frame}
        onPointerDown={onDown}
        onPointerMove={onMove}
        onPointerUp={onUp}
        onPointerCancel={onUp}
        data-split={split}
        data-pixelated={zoom >= 2}
      >
        {before && (
          <img className="layer" src={before} alt={`${item.name}, original`} style={{ transform }} draggable={false} />
        )}
        <div className="layer-clip" style={{ clipPath: `inset(0 0 0 ${split}%)` }}>
          {(view === 'activated' ? after : diff) && (
            <img
              className="layer"
              src={(view === 'activated' ? after : diff) ?? undefined}
              alt={`${item.name}, ${view === 'activated' ? 'activated' : 'difference amplified 10 times'}`}
              style={{ transform }}
              draggable={false}
            />
          )}
        </div>
        <div className="split-handle" style={{ left: `${split}%` }} aria-hidden="true" />
        <span className="corner left">Original</span>
        <span className="corner right">{view === 'activated' ? 'Activated' : 'Difference x10'}</span>
      </div>
      <dl className="numbers">
        <div>
          <dt>PSNR</dt>
          <dd data-testid="psnr" data-value={result.psnr}>
            {fixed(result.psnr, 2)} dB
          </dd>
        </div>
        <div>
          <dt>SSIM</dt>
          <dd data-testid="ssim">{fixed(result.ssim, 4)}</dd>
        </div>
        <div>
          <dt>L-infinity</dt>
          <dd data-testid="linf">{fixed(result.linf, 0)} / 255</dd>
        </div>
        <div>
          <dt>Activation gain</dt>
          <dd
            data-testid="gain"
            data-cosine-before={result.gain.cosineBefore}
            data-cosine-after={result.gain.cosineAfter}
          >
            cosine to target {fixed(result.gain.cosineBefore, 4)} &rarr; {fixed(result.gain.cosineAfter, 4)}; distance{' '}
            {Number.isFinite(gainPct) ? `${gainPct >= 0 ? '-' : '+'}${Math.abs(gainPct).toFixed(0)}%` : '-'}
          </dd>
        </div>
        <div>
          <dt>Computed</dt>
          <dd data-testid="timing">
            {result.width}x{result.height}, {(result.totalMs / 1000).toFixed(1)} s on {result.backend}
          </dd>
        </div>
      </dl>
    </section>
  );
}
