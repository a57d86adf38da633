/**
 * faiss ArrayInvertedLists: one CodeStore per list.
 * Layout per list l: codes list_size(l) x codeSize bytes row-major, ids list_size(l) (faiss idx_t as float64).
 * IVF-PQ codes are the M PQ bytes of the residual; IVF-Flat codes are the raw float32 vector bytes.
 */
import { FindableError } from '../errors.ts';
import { CodeStore } from './code-store.ts';
import { toIds } from './util.ts';

export interface ListParts {
  codes: Uint8Array;
  ids: ArrayLike<number> | BigInt64Array;
}

export class InvertedLists {
  readonly nlist: number;
  readonly codeSize: number;
  readonly lists: readonly CodeStore[];

  constructor(nlist: number, codeSize: number) {
    this.nlist = nlist;
    this.codeSize = codeSize;
    this.lists = Array.from({ length: nlist }, () => new CodeStore(codeSize));
  }

  static fromParts(nlist: number, codeSize: number, lists: readonly ListParts[]): InvertedLists {
    if (lists.length !== nlist) {
      throw new FindableError('SHAPE_MISMATCH', `inverted lists: expected ${nlist} lists, got ${lists.length}`);
    }
    const inv = new InvertedLists(nlist, codeSize);
    lists.forEach((l, i) => {
      const n = l.ids.length;
      if (l.codes.length !== n * codeSize) {
        throw new FindableError(
          'SHAPE_MISMATCH',
          `inverted list ${i}: ${n} ids need ${n * codeSize} code bytes, got ${l.codes.length}`,
        );
      }
      inv.lists[i].append(l.codes, toIds(l.ids, n));
    });
    return inv;
  }

  get ntotal(): number {
    let s = 0;
    for (const l of this.lists) s += l.ntotal;
    return s;
  }

  listSize(l: number): number {
    return this.lists[l].ntotal;
  }

  removeIds(ids: Set<number>): number {
    let s = 0;
    for (const l of this.lists) s += l.removeIds(ids);
    return s;
  }

  clear(): void {
    for (const l of this.lists) l.clear();
  }
}
