/**
 * Codebook -> an empty index of src/core/index holding the codebook's quantizer (and its transform
 * chain): what the browser worker activates against, what the CLI activates against and what the server
 * searches with. Constructors only; the math lives in src/core/index.
 */
import { FindableError } from '../errors.ts';
import { IndexFlat } from '../index/index-flat.ts';
import { IndexIVF } from '../index/index-ivf.ts';
import { IndexIVFFlat } from '../index/index-ivf-flat.ts';
import { IndexIVFPQ } from '../index/index-ivf-pq.ts';
import { IndexLSH } from '../index/index-lsh.ts';
import { IndexPQ } from '../index/index-pq.ts';
import { baseIndex, IndexPreTransform } from '../index/index-pretransform.ts';
import { LinearTransform } from '../index/linear-transform.ts';
import type { VectorIndex } from '../index/types.ts';
import { coarseCodeSize } from '../index/util.ts';
import type { Codebook } from './types.ts';

function unsupported(what: string): FindableError {
  return new FindableError('FACTORY_UNSUPPORTED', `Findable cannot index with ${what} yet.`, { what });
}

export function indexFromCodebook(cb: Pick<Codebook, 'quantizer' | 'transforms'>): VectorIndex {
  const q = cb.quantizer;
  let base: VectorIndex;
  switch (q.type) {
    case 'flat':
      base = IndexFlat.fromParts({ d: q.d });
      break;
    case 'pq':
      if (q.nbits !== 8) throw unsupported(`PQ with ${q.nbits} bits per sub-code`);
      base = IndexPQ.fromParts({ d: q.d, M: q.M, pqCentroids: q.centroids });
      break;
    case 'ivf-flat':
      base = IndexIVFFlat.fromParts({ d: q.d, nlist: q.nlist, centroids: q.centroids });
      break;
    case 'ivf-pq':
      if (!q.byResidual) throw unsupported('IVF-PQ without residual encoding');
      if (q.nbits !== 8) throw unsupported(`IVF-PQ with ${q.nbits} bits per sub-code`);
      base = IndexIVFPQ.fromParts({
        d: q.d,
        nlist: q.nlist,
        M: q.M,
        centroids: q.centroids,
        pqCentroids: q.pqCentroids,
      });
      break;
    case 'lsh':
      base = IndexLSH.fromParts({
        d: q.d,
        nbits: q.nbits,
        rotateData: q.rotation !== null,
        trainThresholds: q.thresholds !== null,
        rotation: q.rotation ?? undefined,
        thresholds: q.thresholds ?? undefined,
      });
      break;
  }
  if (cb.transforms.length === 0) return base;
  const chain = cb.transforms.map((t) => {
    if (t.type === 'l2norm') throw unsupported('an L2-normalisation transform');
    return LinearTransform.fromParts({ dIn: t.dIn, dOut: t.dOut, A: t.A, b: t.b ?? undefined });
  });
  return IndexPreTransform.fromParts({ chain, index: base });
}

/**
 * Splits a standalone code (faiss sa_encode) into what a registration carries: for IVF indexes the list
 * number (little-endian on coarseCodeSize(nlist) bytes) and the list code; otherwise no list.
 */
export function splitStandaloneCode(index: VectorIndex, sa: Uint8Array): { listId: number | null; code: Uint8Array } {
  const base = baseIndex(index);
  if (!(base instanceof IndexIVF)) return { listId: null, code: sa.slice() };
  const nb = coarseCodeSize(base.nlist);
  let listId = 0;
  for (let i = nb - 1; i >= 0; i--) listId = listId * 256 + sa[i];
  return { listId, code: sa.slice(nb) };
}
