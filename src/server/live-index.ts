/**
 * The live in-memory index: a thin adapter between the API routes and a quantizer from src/core/index.
 * The routes speak (id, listId, code) and features; the quantizer speaks faiss standalone codes
 * (list number little-endian on coarseCodeSize(nlist) bytes, then the list code) and n x d arrays.
 * No index math lives here: encoding, search and removal are the quantizer's.
 *
 * The store is the source of truth; this index is rebuilt from it at start-up (rebuildLiveIndex) and
 * updated after every durable add/delete.
 */
import { FindableError } from '../core/errors';
import { IndexIVF } from '../core/index/index-ivf';
import { IndexPreTransform } from '../core/index/index-pretransform';
import type { SearchResult, VectorIndex } from '../core/index/types';
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
  /** Adds stored codes under their image ids (batch). */
  addCodes(items: readonly { id: number; listId: number | null; code: Uint8Array }[]): void;
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
    const base = index instanceof IndexPreTransform ? (index.index as CodeAddableIndex) : index;
    this.nlist = base instanceof IndexIVF ? base.nlist : 0;
    this.listBytes = this.nlist > 0 ? coarseCodeSize(this.nlist) : 0;
    this.codeSize = index.saCodeSize - this.listBytes;
    if (typeof base.addSaCodes === 'function') {
      const addSaCodes = base.addSaCodes.bind(base);
      this.addRaw = (lists, codes, ids) => addSaCodes(this.toSaCodes(lists, codes), ids.length, ids);
    } else if (base instanceof IndexIVF) {
      const cs = this.codeSize;
      this.addRaw = (lists, codes, ids) => {
        for (let i = 0; i < ids.length; i++) base.invlists.lists[lists[i]].appendOne(codes, i * cs, ids[i]);
      };
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
    const sa = this.index.encode(feature, 1);
    let listId: number | null = null;
    if (this.listBytes > 0) {
      listId = 0;
      for (let b = this.listBytes - 1; b >= 0; b--) listId = listId * 256 + sa[b];
    }
    return { listId, code: sa.slice(this.listBytes) };
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

export interface RebuildReport {
  indexed: number;
  /** Registrations made with another codebook and without a feature to re-encode: not searchable. */
  skipped: number;
  /** Registrations made with another codebook, re-encoded from their stored feature. */
  reencoded: number;
}

/** Fills an empty live index from every registration in the store, in pages. */
export async function rebuildLiveIndex(
  store: RegistryStore,
  index: LiveIndex,
  pageSize = 2000,
): Promise<RebuildReport> {
  const report: RebuildReport = { indexed: 0, skipped: 0, reencoded: 0 };
  let after = 0;
  for (;;) {
    const page = await store.listImages(after, pageSize);
    if (page.length === 0) break;
    const batch: { id: number; listId: number | null; code: Uint8Array }[] = [];
    for (const image of page) {
      if (image.codebookVersion === index.codebookVersion && image.code !== null) {
        batch.push({ id: image.id, listId: image.listId, code: image.code });
      } else if (image.feature !== null && image.feature.length === index.d) {
        batch.push({ id: image.id, ...index.encodeFeature(image.feature) });
        report.reencoded++;
      } else {
        report.skipped++;
      }
    }
    index.addCodes(batch);
    report.indexed += batch.length;
    after = page[page.length - 1].id;
  }
  return report;
}
