/**
 * Test fixtures for the server (imported by *.test.ts only): a real codebook file (src/core/codebook
 * format) for an IVF16,PQ8 quantizer over 512-d made from seeded random parts (no training: any
 * centroids make a valid quantizer), unit-norm random features, a fake built app.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serializeCodebookString } from '../core/codebook/serialize';
import type { CodebookParts, ExtractorRef } from '../core/codebook/types';
import { Mt19937 } from '../core/index/rng';
import { type LoadedCodebook, loadCodebookFile } from './codebook-loader';
import type { QuantizerLiveIndex } from './live-index';

export const TEST_D = 512;
export const TEST_NLIST = 16;
export const TEST_M = 8;
export const TEST_EXTRACTOR: ExtractorRef = { id: 'test-extractor', sha256: '0'.repeat(64) };

export function unitVector(rng: Mt19937, d = TEST_D): Float32Array {
  const v = Float32Array.from({ length: d }, () => rng.randFloat() - 0.5);
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

export function testCodebookParts(
  options: { seed?: number; d?: number; nlist?: number; M?: number; extractor?: ExtractorRef } = {},
): CodebookParts {
  const { seed = 7, d = TEST_D, nlist = TEST_NLIST, M = TEST_M, extractor = TEST_EXTRACTOR } = options;
  const rng = new Mt19937(seed);
  const centroids = new Float32Array(nlist * d);
  for (let l = 0; l < nlist; l++) centroids.set(unitVector(rng, d), l * d);
  const pqCentroids = Float32Array.from({ length: M * 256 * (d / M) }, () => (rng.randFloat() - 0.5) / 8);
  return {
    factory: `IVF${nlist},PQ${M}`,
    metric: 'L2',
    d,
    transforms: [],
    quantizer: { type: 'ivf-pq', d, nlist, centroids, byResidual: true, M, nbits: 8, pqCentroids },
    extractor,
    createdAt: '2026-01-01T00:00:00Z',
  };
}

/** Writes a codebook file and returns its version (the content hash registrations must name). */
export function writeTestCodebookFile(path: string, options: Parameters<typeof testCodebookParts>[0] = {}): string {
  writeFileSync(path, serializeCodebookString(testCodebookParts(options)));
  return loadCodebookFile(path).served.version;
}

/** A loaded test codebook (served bytes + an empty live index), from a temporary file. */
export function testCodebook(options: Parameters<typeof testCodebookParts>[0] = {}): LoadedCodebook {
  const path = join(mkdtempSync(join(tmpdir(), 'findable-cb-')), 'codebook.json');
  writeTestCodebookFile(path, options);
  return loadCodebookFile(path);
}

export function testLiveIndex(options: Parameters<typeof testCodebookParts>[0] = {}): QuantizerLiveIndex {
  return testCodebook(options).index;
}

export function fakeDist(): string {
  const dir = mkdtempSync(join(tmpdir(), 'findable-dist-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><div id="root"></div>');
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
  return dir;
}
