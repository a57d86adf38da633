/**
 * Where the worker gets its model and codebook, with download progress:
 *   extractor  /models/extractor.json (manifest, precached by the service worker) + the model file it
 *              names, downloaded once and kept in Cache Storage (MODEL_CACHE) under a URL that carries its
 *              sha256 (checked after loading), so a new model never meets a stale copy and the first
 *              visit downloads it only once (the service worker's precache would fetch it a second time)
 *   codebook   GET /api/codebook (ETag), else /codebook.json; the last good copy is kept in IndexedDB with
 *              its ETag and version, revalidated with If-None-Match, and used as is when offline.
 * Until the real extractor and codebook are built, the build ships a TEST set under /dev-fixture/
 * (vite.config.ts) and the app uses it, saying so.
 */
import { type DBSchema, openDB } from 'idb';
import { parseCodebook } from '../src/core/codebook/parse';
import type { Codebook } from '../src/core/codebook/types';
import { FindableError } from '../src/core/errors';
import type { InitProgress } from './protocol';

export interface ExtractorManifest {
  id: string;
  file: string;
  sha256: string;
  input: { name: string; shape: [string | number, number, number, number] };
  output: { name: string; dim: number };
}

/** Schema version of the worker's IndexedDB database (bump with a migration in `upgrade`). */
export const WORKER_DB_VERSION = 1;

interface WorkerDb extends DBSchema {
  codebooks: {
    key: string;
    value: { schema: 1; url: string; etag: string | null; version: string; text: string; savedAt: number };
  };
}

function db() {
  return openDB<WorkerDb>('findable-worker', WORKER_DB_VERSION, {
    upgrade(database, oldVersion) {
      if (oldVersion < 1) database.createObjectStore('codebooks', { keyPath: 'url' });
    },
  });
}

type Progress = (p: InitProgress) => void;

function isJson(response: Response): boolean {
  return (response.headers.get('content-type') ?? '').includes('json');
}

/** Reads a response body, reporting loaded bytes (monotonic; total from Content-Length when known). */
export async function readWithProgress(
  response: Response,
  onBytes: (loaded: number, total: number | null) => void,
): Promise<Uint8Array> {
  const length = Number(response.headers.get('content-length'));
  const total = Number.isFinite(length) && length > 0 ? length : null;
  if (!response.body) {
    const all = new Uint8Array(await response.arrayBuffer());
    onBytes(all.length, total ?? all.length);
    return all;
  }
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  onBytes(0, total);
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.length;
    onBytes(loaded, total);
  }
  const out = new Uint8Array(loaded);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  onBytes(loaded, loaded);
  return out;
}

async function fetchManifest(url: string): Promise<ExtractorManifest | null> {
  try {
    const r = await fetch(url, { cache: 'no-cache' });
    if (!r.ok || !isJson(r)) return null;
    const m = (await r.json()) as ExtractorManifest;
    if (typeof m?.sha256 !== 'string' || typeof m.file !== 'string' || !Array.isArray(m.input?.shape)) {
      throw new FindableError('MODEL_INVALID', `${url} is not an extractor manifest.`);
    }
    return m;
  } catch (e) {
    if (e instanceof FindableError) throw e;
    return null;
  }
}

async function fetchCodebookText(
  url: string,
  onProgress: Progress,
): Promise<{ text: string; etag: string | null; cached: boolean } | null> {
  const store = await db().catch(() => null);
  const saved = store ? await store.get('codebooks', url) : undefined;
  try {
    const headers: Record<string, string> = {};
    if (saved?.etag) headers['If-None-Match'] = saved.etag;
    const r = await fetch(url, { headers, cache: 'no-cache' });
    if (r.status === 304 && saved) return { text: saved.text, etag: saved.etag, cached: true };
    if (!r.ok || !isJson(r)) return saved ? { text: saved.text, etag: saved.etag, cached: true } : null;
    const bytes = await readWithProgress(r, (loaded, total) =>
      onProgress({ kind: 'download', file: 'codebook', loaded, total }),
    );
    return { text: new TextDecoder().decode(bytes), etag: r.headers.get('etag'), cached: false };
  } catch {
    // Offline (or the server is down): the last good copy.
    return saved ? { text: saved.text, etag: saved.etag, cached: true } : null;
  }
}

/** Cache Storage name of the model files (one entry per model version: the URL carries its sha256). */
export const MODEL_CACHE = 'findable-models-v1';

async function openModelCache(): Promise<Cache | null> {
  try {
    return typeof caches === 'undefined' ? null : await caches.open(MODEL_CACHE);
  } catch {
    return null;
  }
}

/** The model's bytes from Cache Storage, else from the network (then cached, older versions dropped). */
async function loadModelBytes(url: string, onProgress: Progress): Promise<Uint8Array> {
  const cache = await openModelCache();
  const hit = await cache?.match(url).catch(() => undefined);
  if (hit) {
    return readWithProgress(hit, (loaded, total) => onProgress({ kind: 'download', file: 'model', loaded, total }));
  }
  const r = await fetch(url);
  if (!r.ok) throw new FindableError('IO', `The model ${url} could not be downloaded (HTTP ${r.status}).`);
  const bytes = await readWithProgress(r, (loaded, total) =>
    onProgress({ kind: 'download', file: 'model', loaded, total }),
  );
  if (cache) {
    try {
      for (const old of await cache.keys())
        if (old.url !== new URL(url, self.location.href).href) await cache.delete(old);
      await cache.put(
        url,
        new Response(bytes as Uint8Array<ArrayBuffer>, {
          headers: { 'content-type': 'application/octet-stream', 'content-length': String(bytes.length) },
        }),
      );
    } catch {
      // Storage full or denied: the model is simply downloaded again next time.
    }
  }
  return bytes;
}

export interface LoadedAssets {
  manifest: ExtractorManifest;
  modelUrl: string;
  modelBytes: Uint8Array;
  codebook: Codebook;
  codebookSource: string;
  codebookCached: boolean;
  test: boolean;
}

const SETS = [
  { manifest: '/models/extractor.json', base: '/models/', codebooks: ['/api/codebook', '/codebook.json'], test: false },
  {
    manifest: '/dev-fixture/extractor.json',
    base: '/dev-fixture/',
    codebooks: ['/dev-fixture/codebook.json'],
    test: true,
  },
];

async function loadCodebookFor(
  manifest: ExtractorManifest,
  urls: string[],
  onProgress: Progress,
): Promise<{ codebook: Codebook; url: string; cached: boolean } | null> {
  let lastError: unknown = null;
  for (const url of urls) {
    const got = await fetchCodebookText(url, onProgress);
    if (!got) continue;
    try {
      const codebook = parseCodebook(got.text, { expectedExtractor: { id: manifest.id, sha256: manifest.sha256 } });
      if (!got.cached) {
        const store = await db().catch(() => null);
        await store
          ?.put('codebooks', {
            schema: 1,
            url,
            etag: got.etag,
            version: codebook.contentHash,
            text: got.text,
            savedAt: Date.now(),
          })
          .catch(() => undefined);
      }
      return { codebook, url, cached: got.cached };
    } catch (e) {
      lastError = e;
    }
  }
  if (lastError) throw lastError;
  return null;
}

/** Finds the extractor + codebook pair to use and downloads the model, reporting progress. */
export async function loadAssets(onProgress: Progress): Promise<LoadedAssets> {
  let firstError: unknown = null;
  for (const set of SETS) {
    const manifest = await fetchManifest(set.manifest);
    if (!manifest) continue;
    let found: Awaited<ReturnType<typeof loadCodebookFor>>;
    try {
      found = await loadCodebookFor(manifest, set.codebooks, onProgress);
    } catch (e) {
      firstError ??= e;
      continue;
    }
    if (!found) continue;
    const modelUrl = `${set.base}${manifest.file}?sha256=${manifest.sha256}`;
    const modelBytes = await loadModelBytes(modelUrl, onProgress);
    return {
      manifest,
      modelUrl,
      modelBytes,
      codebook: found.codebook,
      codebookSource: found.url,
      codebookCached: found.cached,
      test: set.test,
    };
  }
  if (firstError) throw firstError;
  throw new FindableError(
    'UNAVAILABLE',
    'No extractor model and matching codebook could be loaded. Check the connection and reload.',
  );
}
