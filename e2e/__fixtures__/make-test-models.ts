/**
 * Writes the TEST model set used until the real extractor and codebook exist (and by unit tests):
 *   e2e/__fixtures__/test-extractor.json  manifest of src/core/activation/__fixtures__/step_cnn.onnx
 *   e2e/__fixtures__/test-codebook.json   an IVF8,PQ3x8 codebook trained on that extractor's features
 * Run: node bin/run-ts.mjs e2e/__fixtures__/make-test-models.ts
 * vite.config.ts copies them to dist/dev-fixture/ when public/models/extractor.json or public/codebook.json
 * is missing; the app then runs on them and says so.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { extractFeatures } from '../../src/core/activation/extract.ts';
import { serializeCodebookString } from '../../src/core/codebook/serialize.ts';
import type { RgbImage } from '../../src/core/image/types.ts';
import { IndexIVFPQ } from '../../src/core/index/index-ivf-pq.ts';
import { Mt19937 } from '../../src/core/index/rng.ts';

const here = import.meta.dirname;
const modelPath = join(here, '../../src/core/activation/__fixtures__/step_cnn.onnx');
const bytes = readFileSync(modelPath);
const sha256 = createHash('sha256').update(bytes).digest('hex');
const ID = 'test-step-cnn-16';

function photo(width: number, height: number, seed: number): RgbImage {
  const rng = new Mt19937(seed);
  const data = new Uint8Array(width * height * 3);
  const fx = 1 + rng.randInt(5);
  const fy = 1 + rng.randInt(5);
  const base = rng.randInt(120);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      data[i] = base + 100 * Math.sin(((fx * x) / width) * 6.28) + 60;
      data[i + 1] = 128 + 90 * Math.cos(((fy * y) / height) * 6.28);
      data[i + 2] = (x * 7 + y * 3 + rng.randInt(40)) % 256;
    }
  }
  return { width, height, data };
}

const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
const rt = { ort, featureSession: session, size: 16, dim: 12 };
const n = 600;
const x = await extractFeatures(
  rt,
  Array.from({ length: n }, (_, i) => photo(24, 18, 100 + i)),
);
const index = new IndexIVFPQ(12, 8, 3);
index.train(x, n);
const codebook = serializeCodebookString({
  factory: 'IVF8,PQ3x8',
  metric: 'L2',
  d: 12,
  transforms: [],
  quantizer: {
    type: 'ivf-pq',
    d: 12,
    nlist: 8,
    centroids: index.centroids,
    byResidual: true,
    M: 3,
    nbits: 8,
    pqCentroids: index.pq.centroids,
  },
  extractor: { id: ID, sha256 },
  createdAt: '2025-01-01T00:00:00.000Z',
});
writeFileSync(join(here, 'test-codebook.json'), `${codebook}\n`);
const manifest = {
  id: ID,
  file: 'extractor.onnx',
  sha256,
  input: { name: session.inputNames[0], shape: ['N', 3, 16, 16] },
  output: { name: session.outputNames[0], dim: 12 },
  note: 'TEST extractor (a 16x16 toy CNN): only for development and tests, not for real copy detection.',
};
writeFileSync(join(here, 'test-extractor.json'), `${JSON.stringify(manifest, null, 2)}\n`);
console.log(`wrote test-codebook.json (${codebook.length} bytes) and test-extractor.json, sha256 ${sha256}`);
