/**
 * faiss index files written by faiss 1.7.3 (fixtures from scripts/oracles/faissio_make.py):
 * every parsed field equals what faiss reports, and writing the parsed index reproduces the file byte for byte.
 * Damaged files fail with FAISS_FORMAT naming the byte offset.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { type FindableError, isFindableError } from '../errors.ts';
import { type Digest, digestOf, FIXTURE_NAMES, loadFixture } from './fixtures.test-helper.ts';
import { readFaissIndex } from './read-index.ts';
import type { FaissIndex, FaissVectorTransform } from './types.ts';
import { writeFaissIndex } from './write-index.ts';

function expectDigest(what: string, a: Float32Array | Uint8Array | BigInt64Array, want: Digest): void {
  expect(digestOf(a), what).toEqual({ n: want.n, sha256: want.sha256 });
}

const CLASS_OF: Record<FaissIndex['kind'], string[]> = {
  IndexFlat: ['IndexFlatL2', 'IndexFlat'],
  IndexPQ: ['IndexPQ'],
  IndexIVFFlat: ['IndexIVFFlat'],
  IndexIVFPQ: ['IndexIVFPQ'],
  IndexLSH: ['IndexLSH'],
  IndexPreTransform: ['IndexPreTransform'],
};

// biome-ignore lint/suspicious/noExplicitAny: fixture description is free-form JSON
function expectTransform(t: FaissVectorTransform, f: any, path: string): void {
  expect(t.dIn, `${path}.d_in`).toBe(f.d_in);
  expect(t.dOut, `${path}.d_out`).toBe(f.d_out);
  expect(t.isTrained, `${path}.is_trained`).toBe(f.is_trained);
  if (t.kind !== 'LinearTransform') throw new Error(`${path}: unexpected ${t.kind}`);
  const expectedFourcc: Record<string, string[]> = {
    PCAMatrix: ['Pcam'],
    OPQMatrix: ['LTra'],
    RandomRotationMatrix: ['rrot'],
    LinearTransform: ['LTra'],
  };
  expect(expectedFourcc[f.class], `${path} class ${f.class}`).toContain(t.fourcc);
  expect(t.haveBias, `${path}.have_bias`).toBe(f.have_bias);
  expectDigest(`${path}.A`, t.A, f.A);
  expectDigest(`${path}.b`, t.b, f.b);
  if (f.class === 'PCAMatrix') {
    expect(t.pca?.eigenPower).toBe(f.eigen_power);
    expect(t.pca?.randomRotation).toBe(f.random_rotation);
    expectDigest(`${path}.mean`, t.pca?.mean ?? new Float32Array(0), f.mean);
    expectDigest(`${path}.eigenvalues`, t.pca?.eigenvalues ?? new Float32Array(0), f.eigenvalues);
    expect(t.pca?.PCAMat.length).toBe(t.dIn * t.dIn);
  }
}

// biome-ignore lint/suspicious/noExplicitAny: fixture description is free-form JSON
function expectIndex(idx: FaissIndex, f: any, path: string): void {
  expect(CLASS_OF[idx.kind], `${path} class`).toContain(f.class);
  expect(idx.header.d, `${path}.d`).toBe(f.d);
  expect(idx.header.ntotal, `${path}.ntotal`).toBe(f.ntotal);
  expect(idx.header.isTrained, `${path}.is_trained`).toBe(f.is_trained);
  expect(idx.header.metricType, `${path}.metric_type`).toBe(f.metric_type);
  expect(idx.header.dummy1).toBe(1n << 20n);
  expect(idx.header.dummy2).toBe(1n << 20n);
  switch (idx.kind) {
    case 'IndexFlat':
      expect(idx.fourcc).toBe('IxF2');
      expectDigest(`${path}.vectors`, idx.vectors, f.vectors);
      return;
    case 'IndexPQ':
      expect({ d: idx.pq.d, M: idx.pq.M, nbits: idx.pq.nbits }).toEqual({ d: f.pq.d, M: f.pq.M, nbits: f.pq.nbits });
      expectDigest(`${path}.pq.centroids`, idx.pq.centroids, f.pq.centroids);
      expectDigest(`${path}.codes`, idx.codes, f.codes);
      expect(idx.searchType).toBe(f.search_type);
      expect(idx.encodeSigns).toBe(f.encode_signs);
      expect(idx.polysemousHt).toBe(f.polysemous_ht);
      return;
    case 'IndexIVFFlat':
    case 'IndexIVFPQ': {
      expect(idx.nlist).toBe(f.nlist);
      expect(idx.nprobe).toBe(f.nprobe);
      expectIndex(idx.quantizer, f.quantizer, `${path}.quantizer`);
      expect(idx.directMap.type).toBe(f.direct_map_type);
      expectDigest(`${path}.direct_map`, idx.directMap.array, f.direct_map_array);
      const lists = idx.invlists;
      if (!lists) throw new Error('expected inverted lists');
      expect(lists.nlist).toBe(f.nlist);
      expect(lists.codeSize).toBe(f.code_size);
      expect(lists.ids.map((l) => l.length)).toEqual(f.list_sizes);
      lists.ids.forEach((ids, l) => {
        expectDigest(`${path}.lists[${l}].ids`, ids, f.lists[l].ids);
        expectDigest(`${path}.lists[${l}].codes`, lists.codes[l], f.lists[l].codes);
      });
      if (idx.kind === 'IndexIVFPQ') {
        expect(idx.byResidual).toBe(f.by_residual);
        expect(idx.codeSize).toBe(f.code_size);
        expect({ d: idx.pq.d, M: idx.pq.M, nbits: idx.pq.nbits }).toEqual({ d: f.pq.d, M: f.pq.M, nbits: f.pq.nbits });
        expectDigest(`${path}.pq.centroids`, idx.pq.centroids, f.pq.centroids);
      }
      return;
    }
    case 'IndexLSH':
      expect(idx.nbits).toBe(f.nbits);
      expect(idx.rotateData).toBe(f.rotate_data);
      expect(idx.trainThresholds).toBe(f.train_thresholds);
      expect(idx.codeSize).toBe(f.code_size);
      expectDigest(`${path}.thresholds`, idx.thresholds, f.thresholds);
      expectDigest(`${path}.codes`, idx.codes, f.codes);
      expectTransform(idx.rrot, f.rrot, `${path}.rrot`);
      return;
    case 'IndexPreTransform':
      expect(idx.chain.length).toBe(f.chain.length);
      idx.chain.forEach((t, i) => {
        expectTransform(t, f.chain[i], `${path}.chain[${i}]`);
      });
      expectIndex(idx.index, f.index, `${path}.index`);
      return;
  }
}

describe('faiss index files: read every field, write back byte-identical', () => {
  for (const name of FIXTURE_NAMES) {
    it(`${name}`, () => {
      const fx = loadFixture(name);
      const idx = readFaissIndex(fx.bytes);
      expectIndex(idx, fx.json.fields, name);
      const again = writeFaissIndex(idx);
      expect(again.length).toBe(fx.bytes.length);
      expect(Buffer.compare(Buffer.from(again), Buffer.from(fx.bytes))).toBe(0);
    });
  }

  it('stores sparse inverted lists as "sprs" and full ones as "full", like faiss', () => {
    const sparse = loadFixture('ivfpq_sparse').bytes;
    const full = loadFixture('ivfpq').bytes;
    const has = (b: Uint8Array, s: string) => Buffer.from(b).includes(Buffer.from(s, 'latin1'));
    expect(has(sparse, 'sprs') && !has(sparse, 'full')).toBe(true);
    expect(has(full, 'full') && !has(full, 'sprs')).toBe(true);
  });
});

function formatError(f: () => unknown): FindableError {
  try {
    f();
  } catch (e) {
    if (isFindableError(e, 'FAISS_FORMAT')) return e;
    throw e;
  }
  throw new Error('expected a FAISS_FORMAT error');
}

describe('faiss index files: damaged input', () => {
  let ivfpq: Uint8Array;
  beforeAll(() => {
    ivfpq = loadFixture('ivfpq').bytes;
  });

  it('rejects an unknown index fourcc at byte 0', () => {
    const b = ivfpq.slice();
    b.set([0x58, 0x58, 0x58, 0x58], 0); // "XXXX"
    const e = formatError(() => readFaissIndex(b));
    expect(e.message).toMatch(/expected an index fourcc .* at byte 0 \(got "XXXX"\)/);
    expect(e.details).toMatchObject({ offset: 0 });
  });

  it('names the offset of a bad nested fourcc (the coarse quantizer)', () => {
    // fourcc 4 + d 4 + ntotal 8 + 2 dummies 16 + is_trained 1 + metric 4 + nlist 8 + nprobe 8 = 53
    const b = ivfpq.slice();
    expect(String.fromCharCode(...b.subarray(53, 57))).toBe('IxF2');
    b[53] = 0x3f;
    expect(formatError(() => readFaissIndex(b)).message).toMatch(/at byte 53 \(got "\?xF2"\)/);
  });

  it('rejects truncated files at every kind of cut with the offset of the missing field', () => {
    for (const cut of [0, 3, 4, 20, 36, 60, 200, ivfpq.length >> 1, ivfpq.length - 9, ivfpq.length - 1]) {
      const e = formatError(() => readFaissIndex(ivfpq.subarray(0, cut)));
      expect(e.message, `cut at ${cut}`).toMatch(/at byte \d+/);
      const off = (e.details as { offset: number }).offset;
      expect(off).toBeLessThanOrEqual(cut);
    }
    expect(formatError(() => readFaissIndex(ivfpq.subarray(0, 12))).message).toMatch(
      /expected header ntotal \(int64\) at byte 8 \(needs 8 bytes, only 4 left/,
    );
  });

  it('rejects a vector length that exceeds the file before allocating it', () => {
    const pq = loadFixture('pq').bytes.slice();
    // IxPq: header 37 bytes + PQ d, M, nbits (24) -> centroids length at 61
    new DataView(pq.buffer).setBigUint64(61, 1n << 40n, true);
    expect(formatError(() => readFaissIndex(pq)).message).toMatch(/PQ centroids .* at byte 61 .*truncated/);
  });

  it('rejects trailing bytes and unknown inverted-list layouts', () => {
    const longer = new Uint8Array(ivfpq.length + 3);
    longer.set(ivfpq);
    expect(formatError(() => readFaissIndex(longer)).message).toMatch(
      /expected end of file at byte \d+ \(3 unexpected/,
    );
    const b = ivfpq.slice();
    const at = Buffer.from(b).indexOf('full');
    b[at] = 0x46; // "Full"
    expect(formatError(() => readFaissIndex(b)).message).toMatch(
      new RegExp(`inverted list sizes type "full" or "sprs" at byte ${at}`),
    );
  });

  it('rejects an inconsistent header (nlist vs the coarse quantizer)', () => {
    const b = ivfpq.slice();
    new DataView(b.buffer).setBigUint64(37, 31n, true); // nlist 32 -> 31
    expect(formatError(() => readFaissIndex(b)).message).toMatch(
      /coarse quantizer holding nlist = 31 centroids at byte 53/,
    );
  });
});
