/**
 * Test-only loader for the faiss fixtures written by scripts/oracles/index_faiss_fixtures.py
 * (<case>.json: meta + array directory; <case>.bin: little-endian arrays at 8-byte aligned offsets).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

interface Entry {
  dtype: 'f32' | 'u8' | 'i32';
  shape: number[];
  offset: number;
}

export interface Fixture {
  faiss: string;
  // biome-ignore lint/suspicious/noExplicitAny: free-form metadata written by the oracle
  meta: Record<string, any>;
  f32(key: string): Float32Array;
  u8(key: string): Uint8Array;
  /** int32 arrays (faiss ids) widened to float64 like our SearchResult.ids. */
  ids(key: string): Float64Array;
  shape(key: string): number[];
  /** u8 mixture data decoded like the oracle: (u8 - 128) / 16. */
  x(key: string): Float32Array;
}

export function loadFixture(name: string): Fixture {
  const json = JSON.parse(readFileSync(join(here, `${name}.json`), 'utf8')) as {
    faiss: string;
    meta: Record<string, unknown>;
    arrays: Record<string, Entry>;
  };
  const bin = readFileSync(join(here, `${name}.bin`));
  const buf = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength);
  const entry = (key: string, dtype: Entry['dtype']): Entry => {
    const e = json.arrays[key];
    if (!e) throw new Error(`fixture ${name}: no array ${key}`);
    if (e.dtype !== dtype) throw new Error(`fixture ${name}: ${key} is ${e.dtype}, not ${dtype}`);
    return e;
  };
  const count = (e: Entry) => e.shape.reduce((a, b) => a * b, 1);
  const f32 = (key: string) => {
    const e = entry(key, 'f32');
    return new Float32Array(buf.slice(e.offset, e.offset + 4 * count(e)));
  };
  const u8 = (key: string) => {
    const e = entry(key, 'u8');
    return new Uint8Array(buf.slice(e.offset, e.offset + count(e)));
  };
  return {
    faiss: json.faiss,
    meta: json.meta,
    f32,
    u8,
    ids: (key) => {
      const e = entry(key, 'i32');
      return Float64Array.from(new Int32Array(buf.slice(e.offset, e.offset + 4 * count(e))));
    },
    shape: (key) => json.arrays[key].shape,
    x: (key) => Float32Array.from(u8(key), (v) => (v - 128) / 16),
  };
}

/** max |a - b| / max(1, |b|) over all elements. */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < b.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return m;
}

/** Mean over rows of the squared L2 distance between a and b (n x d). */
export function meanSqErr(a: ArrayLike<number>, b: ArrayLike<number>, n: number, d: number): number {
  let s = 0;
  for (let i = 0; i < n * d; i++) {
    const t = a[i] - b[i];
    s += t * t;
  }
  return s / n;
}

/** Rows of ids must match; where distances tie (within tol) the order may differ, so compare as sets. */
export function sameNeighbours(
  ours: { distances: Float32Array; ids: Float64Array },
  D: Float32Array,
  I: Float64Array,
  n: number,
  k: number,
): number {
  let mismatches = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) {
      if (ours.ids[i * k + j] !== I[i * k + j]) {
        // Accept a swap between equal distances (ties ordered differently).
        const d = D[i * k + j];
        const tie = Math.abs(ours.distances[i * k + j] - d) <= 1e-4 * Math.max(1, Math.abs(d));
        if (!tie) mismatches++;
      }
    }
  }
  return mismatches;
}
