import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { serializeCodebookString } from '../core/codebook/serialize';
import { isFindableError } from '../core/errors';
import type { IndexIVF } from '../core/index/index-ivf';
import { IndexPQ } from '../core/index/index-pq';
import { Mt19937 } from '../core/index/rng';
import { loadCodebookFile } from './codebook-loader';
import { QuantizerLiveIndex, rebuildLiveIndex } from './live-index';
import { SqliteRegistryStore } from './store/sqlite-store';
import { TEST_D, testCodebookParts, testLiveIndex, unitVector } from './test-support';
import { hashToken } from './tokens';

describe('QuantizerLiveIndex', () => {
  it('over IVF-PQ: codes from encodeFeature go back into the right list and are found first', () => {
    const live = testLiveIndex();
    expect([live.d, live.nlist, live.codeSize]).toEqual([512, 16, 8]);
    const rng = new Mt19937(3);
    const features = Array.from({ length: 40 }, () => unitVector(rng));
    live.addCodes(features.map((f, i) => ({ id: 1000 + i, ...live.encodeFeature(f) })));
    expect(live.size).toBe(40);
    features.forEach((f, i) => {
      expect(live.search(f, 1, 1)[0].id).toBe(1000 + i);
    });
    expect(live.remove(1005)).toBe(true);
    expect(live.remove(1005)).toBe(false);
    expect(live.search(features[5], 5, 16).map((m) => m.id)).not.toContain(1005);

    const bad = (f: () => void, code: string) => expect(f).toThrow(expect.objectContaining({ code }));
    bad(() => live.checkCode(0, new Uint8Array(7)), 'SHAPE_MISMATCH');
    bad(() => live.checkCode(16, new Uint8Array(8)), 'INVALID_ARGUMENT');
    bad(() => live.checkCode(null, new Uint8Array(8)), 'INVALID_ARGUMENT');
    bad(() => live.encodeFeature(new Float32Array(511)), 'SHAPE_MISMATCH');
  });

  it('addPacked and encodeFeatures: the packed forms of addCodes and encodeFeature, checked before adding', () => {
    const live = testLiveIndex();
    const rng = new Mt19937(4);
    const n = 30;
    const x = new Float32Array(n * TEST_D);
    for (let i = 0; i < n; i++) x.set(unitVector(rng), i * TEST_D);
    const { listIds, codes } = live.encodeFeatures(x, n);
    for (let i = 0; i < n; i++) {
      const one = live.encodeFeature(x.subarray(i * TEST_D, (i + 1) * TEST_D));
      expect([listIds[i], ...codes.subarray(i * 8, (i + 1) * 8)]).toEqual([one.listId, ...one.code]);
    }
    const ids = Float64Array.from({ length: n }, (_, i) => 500 + i);
    const bad = (f: () => void, code: string) => expect(f).toThrow(expect.objectContaining({ code }));
    bad(() => live.addPacked(ids, listIds, codes.subarray(1)), 'SHAPE_MISMATCH');
    bad(() => live.addPacked(ids, listIds.subarray(1), codes), 'SHAPE_MISMATCH');
    for (const wrong of [-1, -2, 16]) {
      const lists = listIds.slice();
      lists[n - 1] = wrong;
      bad(() => live.addPacked(ids, lists, codes), 'INVALID_ARGUMENT');
    }
    expect(live.size).toBe(0); // nothing added by a refused batch
    live.addPacked(ids, listIds, codes);
    expect(live.size).toBe(n);
    for (let i = 0; i < n; i++) expect(live.search(x.subarray(i * TEST_D, (i + 1) * TEST_D), 1, 1)[0].id).toBe(500 + i);
  });

  it('over a flat-code index (IndexPQ): no lists, codes appended as they are', () => {
    const rng = new Mt19937(5);
    const pqCentroids = Float32Array.from({ length: 8 * 256 * (TEST_D / 8) }, () => (rng.randFloat() - 0.5) / 8);
    const live = new QuantizerLiveIndex(IndexPQ.fromParts({ d: TEST_D, M: 8, pqCentroids }), 'pq');
    expect([live.nlist, live.codeSize]).toEqual([0, 8]);
    const f = unitVector(rng);
    const enc = live.encodeFeature(f);
    expect(enc.listId).toBeNull();
    live.addCodes([
      { id: 7, ...enc },
      { id: 8, ...live.encodeFeature(unitVector(rng)) },
    ]);
    expect(live.search(f, 2, 1)[0].id).toBe(7);
    expect(() => live.checkCode(0, enc.code)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    // Packed: no list is -1; any list number is refused.
    const g = unitVector(rng);
    const packed = live.encodeFeatures(g, 1);
    expect([...packed.listIds]).toEqual([-1]);
    expect(() => live.addPacked(Float64Array.of(9), Int32Array.of(0), packed.codes)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    live.addPacked(Float64Array.of(9), packed.listIds, packed.codes);
    expect(live.search(g, 1, 1)[0].id).toBe(9);
  });

  it('behind a transform chain (codebook with a rotation): codes go to the base index, search goes through', () => {
    const parts = testCodebookParts({ d: 64, nlist: 4, M: 8 });
    const A = new Float32Array(64 * 64);
    for (let i = 0; i < 64; i++) A[i * 64 + ((i * 7) % 64)] = 1; // a permutation: orthonormal
    parts.transforms = [{ type: 'rotation', dIn: 64, dOut: 64, A, b: null }];
    const path = join(mkdtempSync(join(tmpdir(), 'findable-cb-')), 'codebook.json');
    writeFileSync(path, serializeCodebookString(parts));
    const { index: live, served } = loadCodebookFile(path);
    expect([live.d, live.nlist, live.codeSize, live.codebookVersion]).toEqual([64, 4, 8, served.version]);
    const rng = new Mt19937(11);
    const features = Array.from({ length: 20 }, () => unitVector(rng, 64));
    live.addCodes(features.map((f, i) => ({ id: i + 1, ...live.encodeFeature(f) })));
    features.forEach((f, i) => {
      expect(live.search(f, 1, 4)[0].id).toBe(i + 1);
    });
  });

  it('rebuilds from the store: same codebook by code, others re-encoded from a feature or skipped', async () => {
    const store = new SqliteRegistryStore({ dataDir: mkdtempSync(join(tmpdir(), 'findable-live-')) });
    const owner = await store.createToken('t', hashToken('fdb_t'));
    const live = testLiveIndex();
    const v2 = live.codebookVersion;
    const rng = new Mt19937(9);
    const base = { title: 't', creatorName: null, creatorUrl: null, ownerTokenId: owner.id };
    const f1 = unitVector(rng);
    const f2 = unitVector(rng);
    const a = await store.addImage({
      ...base,
      ...live.encodeFeature(f1),
      feature: null,
      codebookVersion: v2,
      sha256: 'a'.repeat(64),
    });
    const b = await store.addImage({
      ...base,
      listId: 3,
      code: new Uint8Array(8),
      feature: f2,
      codebookVersion: 'v1',
      sha256: 'b'.repeat(64),
    });
    await store.addImage({
      ...base,
      listId: 3,
      code: new Uint8Array(8),
      feature: null,
      codebookVersion: 'v1',
      sha256: 'c'.repeat(64),
    });
    const progress: [number, number][] = [];
    const report = await rebuildLiveIndex(store, live, { pageSize: 2, onProgress: (d, t) => progress.push([d, t]) });
    expect(report).toEqual({ indexed: 2, reencoded: 1, skipped: 1 });
    expect(progress).toEqual([
      [2, 3],
      [3, 3],
    ]);
    expect(live.search(f1, 1, 1)[0].id).toBe(a.record.id);
    expect(live.search(f2, 1, 1)[0].id).toBe(b.record.id);
    await store.close();
  });

  it('rebuilds exactly what adding every registration in id order gives (lists, ids, codes), deletes left out', async () => {
    const store = new SqliteRegistryStore({ dataDir: mkdtempSync(join(tmpdir(), 'findable-live-')) });
    const owner = await store.createToken('t', hashToken('fdb_t'));
    const live = testLiveIndex();
    const rng = new Mt19937(21);
    const base = { title: 't', creatorName: null, creatorUrl: null, ownerTokenId: owner.id };
    const expected: { id: number; listId: number | null; code: Uint8Array }[] = [];
    let older = 0;
    for (let i = 0; i < 120; i++) {
      const f = unitVector(rng);
      // Every 4th registration was made with an older codebook: re-encoded from its feature, in place.
      const old = i % 4 === 3;
      const enc = live.encodeFeature(f);
      const { record } = await store.addImage({
        ...base,
        ...(old ? { listId: 0, code: new Uint8Array(8) } : enc),
        feature: old || i % 5 === 0 ? f : null,
        codebookVersion: old ? 'older' : live.codebookVersion,
        sha256: i.toString(16).padStart(64, '0'),
      });
      if (i % 10 === 7) await store.deleteImage(record.id);
      else {
        expected.push({ id: record.id, ...enc });
        if (old) older++;
      }
    }
    const reference = testLiveIndex();
    for (const e of expected) reference.addCodes([e]); // one at a time: the order of the lists is id order
    const report = await rebuildLiveIndex(store, live, { pageSize: 16 });
    expect([expected.length, older]).toEqual([108, 24]);
    expect(report).toEqual({ indexed: 108, reencoded: 24, skipped: 0 });
    const lists = (index: typeof live) => (index.vectorIndex as IndexIVF).invlists.lists;
    lists(live).forEach((l, i) => {
      const want = lists(reference)[i];
      expect([...l.ids]).toEqual([...want.ids]);
      expect(l.codes).toEqual(want.codes);
    });
    expect(live.size).toBe(expected.length);
    await store.close();
  });

  it('stops between pages when aborted', async () => {
    const store = new SqliteRegistryStore({ dataDir: mkdtempSync(join(tmpdir(), 'findable-live-')) });
    const owner = await store.createToken('t', hashToken('fdb_t'));
    const live = testLiveIndex();
    for (let i = 0; i < 5; i++) {
      await store.addImage({
        listId: i,
        code: new Uint8Array(8).fill(i),
        feature: null,
        codebookVersion: live.codebookVersion,
        title: 't',
        creatorName: null,
        creatorUrl: null,
        sha256: i.toString(16).padStart(64, '0'),
        ownerTokenId: owner.id,
      });
    }
    const controller = new AbortController();
    const run = rebuildLiveIndex(store, live, {
      pageSize: 2,
      signal: controller.signal,
      onProgress: (done) => done >= 2 && controller.abort(),
    });
    await expect(run).rejects.toSatisfy((e: unknown) => isFindableError(e, 'ABORTED'));
    expect(live.size).toBe(2);
    await store.close();
  });
});
