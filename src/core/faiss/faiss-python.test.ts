/**
 * Reverse direction: indexes trained and filled by Findable are written as faiss files (.tmp/faissio/) and
 * opened by python faiss 1.7.3 (scripts/oracles/faissio_check.py), which must search them to the same
 * k-NN ids and distances, and decode the same reconstructions, as our classes.
 * Skips (with a message) when /usr/bin/python3 has no faiss; the CI setup installs python3-faiss.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { indexFactory } from '../index/factory.ts';
import { IndexPreTransform } from '../index/index-pretransform.ts';
import { OPQMatrix } from '../index/opq-matrix.ts';
import { Mt19937 } from '../index/rng.ts';
import type { VectorIndex } from '../index/types.ts';
import { indexToFaiss } from './from-quantizer.ts';
import { readFaissIndex } from './read-index.ts';
import { writeFaissIndex } from './write-index.ts';

const PYTHON = '/usr/bin/python3';
const ROOT = join(import.meta.dirname, '..', '..', '..');
const CHECK = join(ROOT, 'scripts', 'oracles', 'faissio_check.py');
const TMP = join(ROOT, '.tmp', 'faissio');

function haveFaiss(): boolean {
  const r = spawnSync(PYTHON, ['-c', 'import faiss'], { encoding: 'utf8' });
  return r.status === 0;
}
const FAISS_OK = haveFaiss();
if (!FAISS_OK) {
  console.warn(
    `faiss-python.test.ts SKIPPED: ${PYTHON} cannot import faiss (install Debian's python3-faiss to run the ` +
      'reverse check: Findable-written index files opened by faiss).',
  );
}

function randn(n: number, d: number, seed: number): Float32Array {
  const rng = new Mt19937(seed);
  const x = new Float32Array(n * d);
  for (let i = 0; i < x.length; i++) x[i] = rng.randn();
  return x;
}

interface Case {
  name: string;
  d: number;
  factory: string;
  ntotal: number;
  nprobe?: number;
}

const CASES: Case[] = [
  { name: 'flat', d: 32, factory: 'Flat', ntotal: 300 },
  { name: 'pq', d: 32, factory: 'PQ8', ntotal: 500 },
  { name: 'ivfflat', d: 32, factory: 'IVF8,Flat', ntotal: 500, nprobe: 3 },
  { name: 'ivfpq', d: 32, factory: 'IVF8,PQ8', ntotal: 500, nprobe: 2 },
  { name: 'opq_ivfpq', d: 32, factory: 'OPQ8,IVF8,PQ8', ntotal: 300, nprobe: 2 },
  { name: 'pca_lsh', d: 32, factory: 'PCA16,LSH', ntotal: 500 },
  { name: 'lshrt', d: 32, factory: 'LSHrt', ntotal: 300 },
];
const NQ = 12;
const K = 8;
const NTRAIN = 1200;

function build(c: Case, seed: number): VectorIndex {
  const index = indexFactory(c.d, c.factory);
  // Few OPQ iterations: this test checks the file format, not the training (kept fast on 2 shared cores).
  if (index instanceof IndexPreTransform) {
    for (const t of index.chain) {
      if (t instanceof OPQMatrix) {
        t.niter = 2;
        t.niterPq0 = 4;
        t.niterPq = 2;
      }
    }
  }
  index.train(randn(NTRAIN, c.d, seed), NTRAIN, { niter: 6, pqNiter: 6 } as object);
  index.add(randn(c.ntotal, c.d, seed + 1), c.ntotal);
  if (c.nprobe !== undefined) (index as unknown as { nprobe: number }).nprobe = c.nprobe;
  if (index instanceof IndexPreTransform && c.nprobe !== undefined) {
    (index.index as unknown as { nprobe: number }).nprobe = c.nprobe;
  }
  return index;
}

interface PyResult {
  name: string;
  class: string;
  d: number;
  ntotal: number;
  is_trained: boolean;
  nprobe: number | null;
  ids: number[];
  distances: number[];
  saDecoded: string;
}

describe.skipIf(!FAISS_OK)('Findable-written faiss files opened by python faiss', () => {
  it('faiss reads every supported type and finds the same neighbours', () => {
    mkdirSync(TMP, { recursive: true });
    const built = CASES.map((c, i) => {
      const index = build(c, 100 + 10 * i);
      const bytes = writeFaissIndex(indexToFaiss(index));
      // Our own reader must accept what we write (and it must be self-consistent).
      expect(readFaissIndex(bytes).header.ntotal).toBe(c.ntotal);
      const path = join(TMP, `${c.name}.index`);
      writeFileSync(path, bytes);
      const queries = randn(NQ, c.d, 7 + i);
      return { c, index, path, queries };
    });
    const request = {
      cases: built.map(({ c, path, queries }) => ({
        name: c.name,
        index: path,
        queries: Buffer.from(queries.buffer).toString('base64'),
        nq: NQ,
        k: K,
      })),
    };
    const reqPath = join(TMP, 'request.json');
    writeFileSync(reqPath, JSON.stringify(request));
    const run = spawnSync(PYTHON, [CHECK, reqPath], {
      encoding: 'utf8',
      env: { ...process.env, OMP_NUM_THREADS: '1' },
      maxBuffer: 64 << 20,
    });
    expect(run.status, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout) as { faiss: string; cases: PyResult[] };

    const lines: string[] = [];
    for (const { c, index, queries } of built) {
      const py = out.cases.find((r) => r.name === c.name);
      if (!py) throw new Error(`no faiss result for ${c.name}`);
      expect(py.d).toBe(c.d);
      expect(py.ntotal).toBe(c.ntotal);
      expect(py.is_trained).toBe(true);
      if (c.nprobe !== undefined) expect(py.nprobe).toBe(c.nprobe);
      const ours = index.search(queries, NQ, K);
      let same = 0;
      let maxRel = 0;
      for (let j = 0; j < NQ * K; j++) {
        const abs = Math.abs(ours.distances[j] - py.distances[j]);
        maxRel = Math.max(maxRel, abs / Math.max(1, Math.abs(py.distances[j])));
        expect(abs, `${c.name} distance ${j}`).toBeLessThanOrEqual(1e-4);
        if (ours.ids[j] === py.ids[j]) {
          same++;
        } else {
          // Only tied distances may order differently (faiss's heap vs ours).
          const row = Math.floor(j / K) * K;
          const at = Array.from(ours.ids.subarray(row, row + K)).indexOf(py.ids[j]);
          const tied = at >= 0 && Math.abs(ours.distances[row + at] - py.distances[j]) <= 1e-4;
          const tiedAtEnd = Math.abs(py.distances[row + K - 1] - py.distances[j]) <= 1e-4;
          expect(tied || tiedAtEnd, `${c.name} id ${j}`).toBe(true);
        }
      }
      const rec = index.reconstruct(queries, NQ);
      const pyRec = new Float32Array(new Uint8Array(Buffer.from(py.saDecoded, 'base64')).buffer);
      let recMax = 0;
      for (let j = 0; j < rec.length; j++) recMax = Math.max(recMax, Math.abs(rec[j] - pyRec[j]));
      expect(recMax, `${c.name} reconstruction`).toBeLessThanOrEqual(1e-5);
      lines.push(
        `${c.name.padEnd(10)} ${py.class.padEnd(18)} ids ${same}/${NQ * K} dist maxRel ${maxRel.toExponential(2)} recon maxAbs ${recMax.toExponential(2)}`,
      );
    }
    console.log(`faiss ${out.faiss} reading Findable-written files:\n${lines.join('\n')}`);
  });
});
