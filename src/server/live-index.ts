/**
 * The live in-memory index: a thin adapter between the API routes and a quantizer from src/core/index.
 * The routes speak (id, listId, code) and features; the quantizer speaks faiss standalone codes
 * (list number little-endian on coarseCodeSize(nlist) bytes, then the list code) and n x d arrays.
 * No index math lives here: encoding, search and removal are the quantizer's.
 *
 * The store is the source of truth; this index is rebuilt from it at start-up (rebuildLiveIndex) and
 * updated after every durable add/delete.
 */
import { FindableError, throwIfAborted } from '../core/errors';
import { IndexIVF } from '../core/index/index-ivf';
import { baseIndex } from '../core/index/index-pretransform';
import type { ProgressOptions, SearchResult, VectorIndex } from '../core/index/types';
import { coarseCodeSize } from '../core/index/util';
import type { RegistryStore } from './store/registry-store';

/**
 * What the server needs from a quantizer beyond VectorIndex: adding codes computed elsewhere (in the
 * creator's browser) without their vectors. Supported shapes, in order:
 * - faiss-style `addSaCodes(codes, n, ids)` (IndexIVF::add_sa_codes; standalone codes as `encode` gives);
 * - IVF indexes (IndexIVF): the list code is appended to inverted list `listId` (plain storage);
 * - flat-code indexes with `addCodes(codes, ids)` (IndexPQ...): codes have no list number.
 */
export type CodeAddableIndex = VectorIndex & {
  addSaCodes?: (codes: Uint8Array, n: number, ids: ArrayLike<number>) => void;
  addCodes?: (codes: Uint8Array, ids: ArrayLike<number>) => void;
};

export interface Match {
  id: number;
  /** Squared L2 distance as the quantizer computes it (asymmetric: exact query vs stored code). */
  distance: number;
}

export interface LiveIndex {
  readonly codebookVersion: string;
  /** Feature dimension. */
  readonly d: number;
  /** Inverted lists (IVF); 0 when the index has none and listId must be null. */
  readonly nlist: number;
  /** Bytes of one list code (the `code` field of a registration). */
  readonly codeSize: number;
  readonly size: number;
  /** Throws a typed 4xx error if (listId, code) could not have come from this codebook. */
  checkCode(listId: number | null, code: Uint8Array): void;
  /** Encodes a feature with the codebook's quantizer, as the browser would have. */
  encodeFeature(feature: Float32Array): { listId: number | null; code: Uint8Array };
  /** encodeFeature for n features at once (n x d, row-major), packed as addPacked takes them. */
  encodeFeatures(features: Float32Array, n: number): { listIds: Int32Array; codes: Uint8Array };
  /** Adds stored codes under their image ids (batch). */
  addCodes(items: readonly { id: number; listId: number | null; code: Uint8Array }[]): void;
  /**
   * addCodes for packed arrays (the start-up rebuild): ids (n), listIds (n; -1 for none, as on an index
   * without lists), codes (n x codeSize, row-major). Checks them all before adding any.
   */
  addPacked(ids: Float64Array, listIds: Int32Array, codes: Uint8Array): void;
  remove(id: number): boolean;
  search(query: Float32Array, k: number, nprobe: number): Match[];
}

/** Adapter over a trained quantizer from src/core/index. */
export class QuantizerLiveIndex implements LiveIndex {
  readonly d: number;
  readonly nlist: number;
  readonly codeSize: number;
  private readonly listBytes: number;
  private readonly addRaw: (lists: Int32Array, codes: Uint8Array, ids: Float64Array) => void;

  constructor(
    private readonly index: CodeAddableIndex,
    readonly codebookVersion: string,
  ) {
    if (!index.isTrained) {
      throw new FindableError('INDEX_NOT_TRAINED', 'The codebook index is not trained: it cannot hold codes.');
    }
    this.d = index.d;
    // Behind a transform chain (OPQ, PCA...), codes and lists are the base index's.
    const base = baseIndex(index) as CodeAddableIndex;
    this.nlist = base instanceof IndexIVF ? base.nlist : 0;
    this.listBytes = this.nlist > 0 ? coarseCodeSize(this.nlist) : 0;
    this.codeSize = index.saCodeSize - this.listBytes;
    if (typeof base.addSaCodes === 'function') {
      const addSaCodes = base.addSaCodes.bind(base);
      this.addRaw = (lists, codes, ids) => addSaCodes(this.toSaCodes(lists, codes), ids.length, ids);
    } else if (base instanceof IndexIVF) {
      this.addRaw = (lists, codes, ids) => appendByList(base, lists, codes, ids);
    } else if (typeof base.addCodes === 'function') {
      const addCodes = base.addCodes.bind(base);
      this.addRaw = (_lists, codes, ids) => addCodes(codes, ids);
    } else {
      throw new FindableError(
        'UNAVAILABLE',
        `The ${index.constructor.name} quantizer cannot add precomputed codes (no addSaCodes, addCodes or lists).`,
      );
    }
  }

  get size(): number {
    return this.index.ntotal;
  }

  checkCode(listId: number | null, code: Uint8Array): void {
    if (code.length !== this.codeSize) {
      throw new FindableError(
        'SHAPE_MISMATCH',
        `code has ${code.length} bytes; this codebook's codes have ${this.codeSize}.`,
        { expected: this.codeSize, actual: code.length },
      );
    }
    if (this.nlist > 0) {
      if (listId === null || !Number.isInteger(listId) || listId < 0 || listId >= this.nlist) {
        throw new FindableError('INVALID_ARGUMENT', `listId must be an integer from 0 to ${this.nlist - 1}.`, {
          listId,
          nlist: this.nlist,
        });
      }
    } else if (listId !== null) {
      throw new FindableError('INVALID_ARGUMENT', 'This codebook has no inverted lists: omit listId.', { listId });
    }
  }

  encodeFeature(feature: Float32Array): { listId: number | null; code: Uint8Array } {
    if (feature.length !== this.d) {
      throw new FindableError('SHAPE_MISMATCH', `feature has ${feature.length} values; expected ${this.d}.`, {
        expected: this.d,
        actual: feature.length,
      });
    }
    const { listIds, codes } = this.encodeFeatures(feature, 1);
    return { listId: this.nlist > 0 ? listIds[0] : null, code: codes };
  }

  encodeFeatures(features: Float32Array, n: number): { listIds: Int32Array; codes: Uint8Array } {
    if (features.length !== n * this.d) {
      throw new FindableError('SHAPE_MISMATCH', `${n} features need ${n * this.d} values, got ${features.length}.`, {
        expected: n * this.d,
        actual: features.length,
      });
    }
    // One batch encode: about twice as fast per vector as one encode per feature (IVF256,PQ8, 512-d).
    const sa = this.index.encode(features, n);
    const stride = this.listBytes + this.codeSize;
    const listIds = new Int32Array(n).fill(-1);
    const codes = new Uint8Array(n * this.codeSize);
    for (let i = 0; i < n; i++) {
      if (this.listBytes > 0) {
        let list = 0;
        for (let b = this.listBytes - 1; b >= 0; b--) list = list * 256 + sa[i * stride + b];
        listIds[i] = list;
      }
      codes.set(sa.subarray(i * stride + this.listBytes, (i + 1) * stride), i * this.codeSize);
    }
    return { listIds, codes };
  }

  addCodes(items: readonly { id: number; listId: number | null; code: Uint8Array }[]): void {
    if (items.length === 0) return;
    const lists = new Int32Array(items.length);
    const codes = new Uint8Array(items.length * this.codeSize);
    const ids = new Float64Array(items.length);
    items.forEach((item, i) => {
      this.checkCode(item.listId, item.code);
      lists[i] = item.listId ?? 0;
      codes.set(item.code, i * this.codeSize);
      ids[i] = item.id;
    });
    this.addRaw(lists, codes, ids);
  }

  addPacked(ids: Float64Array, listIds: Int32Array, codes: Uint8Array): void {
    const n = ids.length;
    if (listIds.length !== n || codes.length !== n * this.codeSize) {
      throw new FindableError(
        'SHAPE_MISMATCH',
        `${n} ids need ${n} list ids and ${n * this.codeSize} code bytes; got ${listIds.length} and ${codes.length}.`,
        { n, listIds: listIds.length, codeBytes: codes.length },
      );
    }
    if (n === 0) return;
    for (let i = 0; i < n; i++) {
      const list = listIds[i];
      if (this.nlist > 0 ? list >= 0 && list < this.nlist : list === -1) continue;
      throw new FindableError(
        'INVALID_ARGUMENT',
        this.nlist > 0
          ? `Image ${ids[i]}: listId must be an integer from 0 to ${this.nlist - 1}.`
          : `Image ${ids[i]} has a listId, but this codebook has no inverted lists.`,
        { id: ids[i], listId: list, nlist: this.nlist },
      );
    }
    this.addRaw(listIds, codes, ids);
  }

  remove(id: number): boolean {
    return this.index.remove([id]) > 0;
  }

  /** The underlying index (read-only use: export to a faiss file). */
  get vectorIndex(): VectorIndex {
    return this.index;
  }

  search(query: Float32Array, k: number, nprobe: number): Match[] {
    const result: SearchResult = this.index.search(query, 1, k, { nprobe });
    const matches: Match[] = [];
    for (let i = 0; i < k; i++) {
      const id = result.ids[i];
      if (id < 0) break;
      matches.push({ id, distance: result.distances[i] });
    }
    return matches;
  }

  /** Standalone codes (list number little-endian, then the list code), as faiss sa_encode lays them out. */
  private toSaCodes(lists: Int32Array, codes: Uint8Array): Uint8Array {
    const stride = this.listBytes + this.codeSize;
    const sa = new Uint8Array(lists.length * stride);
    for (let i = 0; i < lists.length; i++) {
      let list = lists[i];
      for (let b = 0; b < this.listBytes; b++) {
        sa[i * stride + b] = list % 256;
        list = Math.floor(list / 256);
      }
      sa.set(codes.subarray(i * this.codeSize, (i + 1) * this.codeSize), i * stride + this.listBytes);
    }
    return sa;
  }
}

/**
 * Appends codes to their inverted lists one list at a time (one copy per list instead of one per code:
 * a stable counting sort by list, so each list keeps the ids in the order given).
 */
function appendByList(index: IndexIVF, lists: Int32Array, codes: Uint8Array, ids: Float64Array): void {
  const n = ids.length;
  const cs = index.codeSize;
  const start = new Int32Array(index.nlist + 1);
  for (let i = 0; i < n; i++) start[lists[i] + 1]++;
  for (let l = 0; l < index.nlist; l++) start[l + 1] += start[l];
  const next = start.slice(0, index.nlist);
  const sortedCodes = new Uint8Array(n * cs);
  const sortedIds = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const p = next[lists[i]]++;
    sortedIds[p] = ids[i];
    sortedCodes.set(codes.subarray(i * cs, (i + 1) * cs), p * cs);
  }
  for (let l = 0; l < index.nlist; l++) {
    if (start[l + 1] === start[l]) continue;
    index.invlists.lists[l].append(
      sortedCodes.subarray(start[l] * cs, start[l + 1] * cs),
      sortedIds.subarray(start[l], start[l + 1]),
    );
  }
}

export interface RebuildReport {
  indexed: number;
  /** Registrations made with another codebook and without a feature to re-encode: not searchable. */
  skipped: number;
  /** Registrations made with another codebook, re-encoded from their stored feature. */
  reencoded: number;
}

export interface RebuildOptions extends ProgressOptions {
  /** Registrations read per store page (default 10000). */
  pageSize?: number;
}

/**
 * Fills an empty live index from every registration in the store, page by page in id order: codes made
 * with the index's codebook are added as stored, the other registrations are re-encoded from their
 * feature when they have one of the right size, otherwise skipped. Progress: registrations read, of
 * the store's count at the start.
 */
export async function rebuildLiveIndex(
  store: RegistryStore,
  index: LiveIndex,
  options: RebuildOptions = {},
): Promise<RebuildReport> {
  const { pageSize = 10_000, signal, onProgress } = options;
  const report: RebuildReport = { indexed: 0, skipped: 0, reencoded: 0 };
  const total = onProgress ? await store.countImages() : 0;
  let read = 0;
  for (let after = 0; ; ) {
    throwIfAborted(signal);
    const page = await store.scanIndexRows({
      codebookVersion: index.codebookVersion,
      codeSize: index.codeSize,
      afterId: after,
      limit: pageSize,
    });
    if (page.count === 0) break;
    const { coded } = page;
    if (page.reencode.ids.length === 0) {
      index.addPacked(coded.ids, coded.listIds, coded.codes);
      report.indexed += coded.ids.length;
    } else {
      const encoded = reencode(index, page.reencode, report);
      const merged = mergeById(coded, encoded, index.codeSize);
      index.addPacked(merged.ids, merged.listIds, merged.codes);
      report.indexed += merged.ids.length;
    }
    read += page.count;
    after = page.lastId;
    onProgress?.(read, Math.max(total, read));
  }
  return report;
}

type Packed = { ids: Float64Array; listIds: Int32Array; codes: Uint8Array };

/** Encodes (one batch) the features of the right size; counts them as re-encoded and the rest as skipped. */
function reencode(
  index: LiveIndex,
  rows: { ids: Float64Array; features: (Float32Array | null)[] },
  report: RebuildReport,
): Packed {
  const keep: number[] = [];
  rows.features.forEach((f, i) => {
    if (f !== null && f.length === index.d) keep.push(i);
  });
  report.reencoded += keep.length;
  report.skipped += rows.ids.length - keep.length;
  if (keep.length === 0) return { ids: new Float64Array(0), listIds: new Int32Array(0), codes: new Uint8Array(0) };
  const x = new Float32Array(keep.length * index.d);
  keep.forEach((r, i) => {
    x.set(rows.features[r]!, i * index.d);
  });
  const { listIds, codes } = index.encodeFeatures(x, keep.length);
  return { ids: Float64Array.from(keep, (r) => rows.ids[r]), listIds, codes };
}

/** Merges two packed runs, each in ascending id order, into one (the index then gets codes in id order). */
function mergeById(a: Packed, b: Packed, codeSize: number): Packed {
  const n = a.ids.length + b.ids.length;
  const out: Packed = { ids: new Float64Array(n), listIds: new Int32Array(n), codes: new Uint8Array(n * codeSize) };
  let i = 0;
  let j = 0;
  for (let k = 0; k < n; k++) {
    const fromA = j >= b.ids.length || (i < a.ids.length && a.ids[i] < b.ids[j]);
    const src = fromA ? a : b;
    const r = fromA ? i++ : j++;
    out.ids[k] = src.ids[r];
    out.listIds[k] = src.listIds[r];
    out.codes.set(src.codes.subarray(r * codeSize, (r + 1) * codeSize), k * codeSize);
  }
  return out;
}
