import { describe, expect, it } from 'vitest';
import { loadFixture, maxRelDiff, meanSqErr, sameNeighbours } from './__fixtures__/load.ts';
import { IndexIVFPQ } from './index-ivf-pq.ts';
import { Mt19937 } from './rng.ts';
import type { SearchResult } from './types.ts';
import { setWasmKernelsEnabled } from './wasm-asm.ts';

/** n x d Gaussian mixture (20 components of different spreads), seeded. */
function mixture(n: number, d: number, seed: number): Float32Array {
  const r = new Mt19937(seed);
  const centers = Float32Array.from({ length: 20 * d }, () => 3 * r.randn());
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const c = r.randInt(20);
    const spread = 0.5 + (c % 4) * 0.25;
    for (let j = 0; j < d; j++) x[i * d + j] = centers[c * d + j] + spread * r.randn();
  }
  return x;
}

/** Ids identical, distances within 1e-4 relative (max(1, |b|)); returns the max relative difference. */
function expectSameResults(a: SearchResult, b: SearchResult, label: string): number {
  expect(Array.from(a.ids), `${label} ids`).toEqual(Array.from(b.ids));
  let m = 0;
  for (let i = 0; i < b.distances.length; i++) {
    m = Math.max(m, Math.abs(a.distances[i] - b.distances[i]) / Math.max(1, Math.abs(b.distances[i])));
  }
  expect(m, `${label} distances`).toBeLessThan(1e-4);
  return m;
}

describe('IndexIVFPQ (faiss IVF<nlist>,PQ<M>x8, by_residual)', () => {
  const fx = loadFixture('ivfpq');
  const { d, nlist, M, k } = fx.meta as { d: number; nlist: number; M: number; k: number };
  const x = fx.x('x');
  const q = fx.f32('q');
  const db = x.subarray(3000 * d);
  const nq = q.length / d;
  const parts = { d, nlist, M, centroids: fx.f32('centroids'), pqCentroids: fx.f32('pq_centroids') };

  it('given faiss parts: identical standalone codes, reconstructions, search ids and distances', () => {
    const index = IndexIVFPQ.fromParts(parts);
    expect(index.saCodeSize).toBe(1 + M);
    const sa = index.encode(db, 1000);
    const faissSa = fx.u8('sa_codes');
    let diff = 0;
    for (let i = 0; i < sa.length; i++) if (sa[i] !== faissSa[i]) diff++;
    expect(diff).toBe(0);
    const rec = index.reconstruct(q, nq);
    expect(maxRelDiff(rec, fx.f32('q_rec'))).toBeLessThan(1e-5);
    // Activation target = C_list + PQdecode(code).
    expect(index.activationTarget(q, nq)).toEqual(rec);
    index.add(db, 1000, fx.ids('ids'));
    expect(index.ntotal).toBe(1000);
    for (const nprobe of [1, 4]) {
      const res = index.search(q, nq, k, { nprobe });
      const D = fx.f32(`D${nprobe}`);
      const I = fx.ids(`I${nprobe}`);
      expect(sameNeighbours(res, D, I, nq, k)).toBe(0);
      expect(maxRelDiff(res.distances, D)).toBeLessThan(1e-4);
    }
  });

  it('fromParts with inverted lists reproduces the same search', () => {
    const built = IndexIVFPQ.fromParts(parts);
    built.add(db, 1000, fx.ids('ids'));
    const lists = built.invlists.lists.map((l) => ({ codes: l.codes.slice(), ids: l.ids.slice() }));
    const loaded = IndexIVFPQ.fromParts({ ...parts, lists, nprobe: 4 });
    expect(loaded.search(q, nq, k)).toEqual(built.search(q, nq, k, { nprobe: 4 }));
  });

  it('removes ids from the lists', () => {
    const index = IndexIVFPQ.fromParts(parts);
    index.add(db, 1000, fx.ids('ids'));
    const before = index.search(q, 1, 3, { nprobe: 4 });
    expect(index.remove([before.ids[0], -5])).toBe(1);
    const after = index.search(q, 1, 3, { nprobe: 4 });
    expect(after.ids[0]).toBe(before.ids[1]);
    expect(index.ntotal).toBe(999);
  });

  it('trains (coarse k-means + residual PQ) to within 2% of faiss quantisation error', () => {
    const index = new IndexIVFPQ(d, nlist, M);
    const warnings: string[] = [];
    index.train(x, 3000, { onWarning: (w) => warnings.push(w), pqNiter: fx.meta.pq_niter });
    expect(warnings.length).toBeGreaterThan(0);
    const ours = meanSqErr(index.reconstruct(x, 3000), x, 3000, d);
    const oursDb = meanSqErr(index.reconstruct(db, 1000), db, 1000, d);
    console.info(
      `IVFPQ MSE ours/faiss: train ${(ours / fx.meta.faiss_mse_train).toFixed(4)}, held-out ${(oursDb / fx.meta.faiss_mse_db).toFixed(4)}`,
    );
    expect(ours / fx.meta.faiss_mse_train).toBeLessThan(1.02);
    expect(oursDb / fx.meta.faiss_mse_db).toBeLessThan(1.02);
  });
});

describe('IndexIVFPQ precomputed table (faiss use_precomputed_table = 1)', () => {
  const d = 32;
  const M = 8;
  const k = 10;
  const nq = 60;
  const train = mixture(4000, d, 11);
  const db = mixture(3000, d, 12);
  const q = mixture(nq, d, 13);
  const ids = Float64Array.from({ length: 3000 }, (_, i) => 7 * i + 3);

  /** Searches q with and without the table on the same index and compares; returns the max rel. diff. */
  function compare(index: IndexIVFPQ, label: string): number {
    let m = 0;
    for (const nprobe of [1, 4, 16]) {
      index.usePrecomputedTable = false;
      const direct = index.search(q, nq, k, { nprobe });
      expect(index.precomputedTableBytes).toBe(0);
      index.usePrecomputedTable = true;
      const withTable = index.search(q, nq, k, { nprobe });
      // Lazily built: only searches with nprobe > 1 allocate it.
      expect(index.precomputedTableBytes).toBe(nprobe > 1 ? index.nlist * M * 256 * 4 : 0);
      m = Math.max(m, expectSameResults(withTable, direct, `${label} nprobe ${nprobe}`));
      // Single-query searches (the reused work buffers) give the batch's rows.
      for (const i of [0, nq - 1]) {
        const one = index.search(q.subarray(i * d, (i + 1) * d), 1, k, { nprobe });
        expect(Array.from(one.ids)).toEqual(Array.from(withTable.ids.subarray(i * k, (i + 1) * k)));
        expect(Array.from(one.distances)).toEqual(Array.from(withTable.distances.subarray(i * k, (i + 1) * k)));
      }
    }
    return m;
  }

  // nlist 37: short lists (fused two-lookup scan); nlist 5: lists of ~600 (summed table + ADC scan).
  for (const nlist of [37, 5]) {
    it(`nlist ${nlist}: same ids and distances as the direct path, after removals and retraining`, () => {
      const index = new IndexIVFPQ(d, nlist, M);
      index.train(train, 4000, { niter: 8, pqNiter: 8 });
      index.add(db, 3000, ids);
      const rel = [compare(index, 'trained')];
      // searchLists returns the coarse distances the table path adds: ||q - C_l||^2.
      const coarse = index.searchLists(q, 2, 4);
      for (let i = 0; i < 8; i++) {
        const l = coarse.lists[i];
        const qi = Math.floor(i / 4) * d;
        let s = 0;
        for (let j = 0; j < d; j++) s += (q[qi + j] - index.centroids[l * d + j]) ** 2;
        expect(Math.abs(coarse.distances[i] - s)).toBeLessThan(1e-9 * Math.max(1, s));
        if (i % 4 > 0) expect(coarse.distances[i]).toBeGreaterThanOrEqual(coarse.distances[i - 1]);
      }
      // The table gives the exact ADC distance up to rounding: ||q - C_l - PQdecode(code)||^2.
      index.usePrecomputedTable = true;
      const res = index.search(q, 1, 1, { nprobe: 16 });
      const row = ids.indexOf(res.ids[0]);
      const rec = index.reconstruct(db.subarray(row * d, (row + 1) * d), 1);
      let exact = 0;
      for (let j = 0; j < d; j++) exact += (q[j] - rec[j]) ** 2;
      expect(Math.abs(res.distances[0] - exact) / exact).toBeLessThan(1e-5);

      expect(index.remove(ids.filter((_, i) => i % 3 === 0))).toBe(1000);
      rel.push(compare(index, 'after remove'));

      // Retraining replaces the PQ codebook: the table must be rebuilt, not reused.
      index.train(mixture(4000, d, 21), 4000, { niter: 8, pqNiter: 8, seed: 99 });
      expect(index.precomputedTableBytes).toBe(0);
      index.reset();
      index.add(db, 3000, ids);
      rel.push(compare(index, 'retrained'));
      console.info(`IVF${nlist},PQ${M}: table vs direct max rel. distance diff ${rel.map((v) => v.toExponential(1))}`);
    });
  }

  it('rebuilds the table when fromParts / the codebook replace what it was built from', () => {
    const a = new IndexIVFPQ(d, 37, M);
    a.train(train, 4000, { niter: 8, pqNiter: 8 });
    const b = new IndexIVFPQ(d, 37, M, 8, { usePrecomputedTable: false });
    b.train(mixture(4000, d, 31), 4000, { niter: 8, pqNiter: 8 });
    const parts = (x: IndexIVFPQ, usePrecomputedTable: boolean) => ({
      d,
      nlist: 37,
      M,
      centroids: x.centroids,
      pqCentroids: x.pq.centroids,
      usePrecomputedTable,
    });
    const idx = IndexIVFPQ.fromParts(parts(a, true));
    idx.add(db, 3000, ids);
    const lists = idx.invlists.lists.map((l) => ({ codes: l.codes.slice(), ids: l.ids.slice() }));
    idx.search(q, nq, k, { nprobe: 8 });
    expect(idx.precomputedTableBytes).toBe(37 * M * 1024);
    // Swap in b's codebook: same codes, other reconstructions.
    idx.pq.setCentroids(b.pq.centroids);
    const fresh = IndexIVFPQ.fromParts({ ...parts(a, false), pqCentroids: b.pq.centroids, lists });
    expectSameResults(idx.search(q, nq, k, { nprobe: 8 }), fresh.search(q, nq, k, { nprobe: 8 }), 'new codebook');
    expect(fresh.precomputedTableBytes).toBe(0);
    // Disabled: freed, direct path.
    idx.usePrecomputedTable = false;
    expect(idx.precomputedTableBytes).toBe(0);
    expect(idx.search(q, nq, k, { nprobe: 8 })).toEqual(fresh.search(q, nq, k, { nprobe: 8 }));
  });
});

describe('IndexIVFPQ on the JS twins of the WebAssembly kernels', () => {
  it('trains, encodes and searches bit-identically with WebAssembly off', () => {
    const d = 32;
    const train = mixture(2500, d, 41);
    const db = mixture(1500, d, 42);
    const q = mixture(20, d, 43);
    const run = () => {
      const index = new IndexIVFPQ(d, 37, 8);
      index.train(train, 2500, { niter: 6, pqNiter: 6 });
      index.add(db, 1500);
      return {
        codes: index.encode(db, 1500),
        // nprobe 1: direct tables; 4 and 37: the precomputed table (short lists, then all lists).
        searches: [1, 4, 37].map((nprobe) => index.search(q, 20, 10, { nprobe })),
      };
    };
    const wasm = run();
    setWasmKernelsEnabled(false);
    let js: ReturnType<typeof run>;
    try {
      js = run();
    } finally {
      setWasmKernelsEnabled(true);
    }
    expect(js.codes).toEqual(wasm.codes);
    expect(js.searches).toEqual(wasm.searches);
  });
});
