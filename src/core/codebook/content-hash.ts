/**
 * Content hash of a codebook JSON document: "sha256-" + hex sha256 of the canonical JSON of every top-level
 * field except "contentHash" (the hash itself) and "createdAt" (re-exporting identical parameters later must
 * give the same hash, so caches and ETags stay valid).
 *
 * Canonical JSON: objects with keys sorted by UTF-16 code units, no whitespace, arrays in order, strings and
 * numbers as JSON.stringify writes them. It is computed on the document as received, so key order and
 * indentation do not matter, and any change of a value (including one base64 character) changes the hash.
 */
import { sha256HexOfString } from './sha256.ts';

const EXCLUDED = new Set(['contentHash', 'createdAt']);

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    // JSON.stringify(undefined) is undefined: treat like a missing value inside arrays, as JSON does.
    return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

export function codebookContentHash(doc: Record<string, unknown>): string {
  const body: Record<string, unknown> = {};
  for (const k of Object.keys(doc)) if (!EXCLUDED.has(k)) body[k] = doc[k];
  return `sha256-${sha256HexOfString(canonicalJson(body))}`;
}
