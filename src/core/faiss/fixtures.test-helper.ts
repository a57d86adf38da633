/**
 * Test-only helper (uses node:fs / node:crypto; never imported by product code): loads the faiss fixtures
 * written by scripts/oracles/faissio_make.py into src/core/faiss/__fixtures__/.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const FIXTURE_DIR = join(import.meta.dirname, '__fixtures__');

export const FIXTURE_NAMES = [
  'flat',
  'pq',
  'ivfflat',
  'ivfpq',
  'ivfpq_sparse',
  'opq_ivfpq',
  'pcar_ivfpq',
  'pca_lsh',
  'lshrt',
  'ivfpq_nores',
] as const;
export type FixtureName = (typeof FIXTURE_NAMES)[number];

/** {n, sha256 of the little-endian bytes, first values} as written by faissio_make.py digest(). */
export interface Digest {
  n: number;
  sha256: string;
  head: number[];
}

export interface FixtureJson {
  name: string;
  factory: string;
  d: number;
  ntotal: number;
  nprobe: number | null;
  k: number;
  nq: number;
  queries: string;
  searchIds: number[];
  searchDistances: number[];
  saCodeSize: number;
  saCodes: string;
  saDecoded: string;
  coarseAssign: number[] | null;
  coarseCentroidTargets: string | null;
  reconstructN: number;
  reconstructed: string | null;
  // biome-ignore lint/suspicious/noExplicitAny: free-form nested description of faiss's view of the index
  fields: any;
}

export interface Fixture {
  name: FixtureName;
  bytes: Uint8Array;
  json: FixtureJson;
  queries: Float32Array;
}

export function fixtureExists(name: FixtureName): boolean {
  return existsSync(join(FIXTURE_DIR, `${name}.index`));
}

export function loadFixture(name: FixtureName): Fixture {
  const bytes = new Uint8Array(readFileSync(join(FIXTURE_DIR, `${name}.index`)));
  const json = JSON.parse(readFileSync(join(FIXTURE_DIR, `${name}.json`), 'utf8')) as FixtureJson;
  return { name, bytes, json, queries: f32(json.queries) };
}

export function f32(b64: string): Float32Array {
  const buf = Buffer.from(b64, 'base64');
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

export function u8(b64: string): Uint8Array {
  return new Uint8Array(Buffer.from(b64, 'base64'));
}

/** Digest of a typed array's bytes, comparable with the fixture's. */
export function digestOf(a: Float32Array | Uint8Array | BigInt64Array): { n: number; sha256: string } {
  const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  return { n: a.length, sha256: createHash('sha256').update(bytes).digest('hex') };
}
