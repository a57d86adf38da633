/**
 * Browser test harness for src/core/image/decode.browser.ts, bundled by build-harness.ts into one
 * self-contained ES module (no imports left), so that the same file can run:
 * - on a page: it installs window.__decode(input) and window.__decodeInWorker(input);
 * - in a module Web Worker created from a blob URL of the bundle's own text: it answers messages.
 * Input: a number[] of bytes or a base64 string. Output: DecodeResult (plain JSON).
 */
import { isFindableError } from '../../src/core/errors.ts';
import { decodeImage } from '../../src/core/image/decode.browser.ts';

export type DecodeInput = number[] | string;

export type DecodeResult =
  | {
      ok: true;
      width: number;
      height: number;
      format: string;
      originalWidth: number;
      originalHeight: number;
      alphaFlattened: boolean;
      hasExif: boolean | null;
      /** Mean of each channel over the whole image. */
      mean: [number, number, number];
      /** RGB of the pixels asked for, in order. */
      pixels: number[][];
      /** true when this ran where there is no `document` (a Web Worker). */
      inWorker: boolean;
    }
  | { ok: false; code: string; message: string; details: Record<string, unknown> | null };

export interface DecodeRequest {
  input: DecodeInput;
  maxPixels?: number;
  /** [x, y] positions whose RGB to return. */
  sample?: [number, number][];
}

function toBytes(input: DecodeInput): Uint8Array {
  if (typeof input !== 'string') return Uint8Array.from(input);
  const bin = atob(input);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export async function runDecode(req: DecodeRequest): Promise<DecodeResult> {
  try {
    const img = await decodeImage(toBytes(req.input), req.maxPixels === undefined ? {} : { maxPixels: req.maxPixels });
    const sums = [0, 0, 0];
    for (let i = 0; i < img.data.length; i += 3) {
      sums[0] += img.data[i];
      sums[1] += img.data[i + 1];
      sums[2] += img.data[i + 2];
    }
    const n = img.width * img.height;
    return {
      ok: true,
      width: img.width,
      height: img.height,
      format: img.format,
      originalWidth: img.originalWidth,
      originalHeight: img.originalHeight,
      alphaFlattened: img.alphaFlattened,
      hasExif: img.hasExif ?? null,
      mean: [sums[0] / n, sums[1] / n, sums[2] / n],
      pixels: (req.sample ?? []).map(([x, y]) => {
        const i = (y * img.width + x) * 3;
        return [img.data[i], img.data[i + 1], img.data[i + 2]];
      }),
      inWorker: typeof document === 'undefined',
    };
  } catch (e) {
    if (isFindableError(e)) {
      return { ok: false, code: e.code, message: e.message, details: e.details ?? null };
    }
    return {
      ok: false,
      code: `UNTYPED: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`,
      message: '',
      details: null,
    };
  }
}

declare global {
  interface Window {
    __decode(input: DecodeInput, options?: Omit<DecodeRequest, 'input'>): Promise<DecodeResult>;
    __decodeInWorker(input: DecodeInput, options?: Omit<DecodeRequest, 'input'>): Promise<DecodeResult>;
    __harnessReady: boolean;
  }
}

let worker: Worker | undefined;
let nextId = 0;
const pending = new Map<number, (r: DecodeResult) => void>();

async function startWorker(): Promise<Worker> {
  if (worker) return worker;
  // Fetch this very bundle and start it as a module worker from a blob URL (no server route needed).
  const source = await (await fetch(import.meta.url)).text();
  const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  const w = new Worker(url, { type: 'module' });
  w.onmessage = (ev: MessageEvent<{ id: number; result: DecodeResult }>) => {
    pending.get(ev.data.id)?.(ev.data.result);
    pending.delete(ev.data.id);
  };
  worker = w;
  return w;
}

if (typeof document !== 'undefined') {
  window.__decode = (input, options) => runDecode({ ...options, input });
  window.__decodeInWorker = async (input, options) => {
    const w = await startWorker();
    const id = nextId++;
    return new Promise<DecodeResult>((resolve) => {
      pending.set(id, resolve);
      w.postMessage({ id, req: { ...options, input } });
    });
  };
  window.__harnessReady = true;
} else {
  const scope = self as unknown as {
    onmessage: ((ev: MessageEvent<{ id: number; req: DecodeRequest }>) => void) | null;
    postMessage(msg: unknown): void;
  };
  scope.onmessage = async (ev) => {
    scope.postMessage({ id: ev.data.id, result: await runDecode(ev.data.req) });
  };
}
