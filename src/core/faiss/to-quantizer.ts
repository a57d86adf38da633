/**
 * faiss-shaped data (read from a faiss file) -> the searchable quantizer classes of ../index, via their
 * fromParts constructors. Everything that decides codes and distances is carried over exactly (centroids,
 * PQ codebooks, transforms' A and b, LSH rotation / thresholds, stored codes, ids, nprobe), so searching the
 * converted index reproduces faiss's results (faiss-search.test.ts measures it).
 *
 * Limits of the target classes (each gives FACTORY_UNSUPPORTED): IVF-PQ only with by_residual = true,
 * PQ only with nbits = 8, IVF coarse quantizers only IndexFlat, transforms only linear ones (PCA, OPQ,
 * random rotation, plain LinearTransform), metric L2 only (IndexLSH ignores the metric, as in faiss).
 * Not carried (no effect on search results): the IVF direct map, the PCA's balanced_bins flag, IndexPQ's
 * polysemous search settings (only ST_PQ = plain ADC search is accepted).
 */
import { FindableError } from '../errors.ts';
import { IndexFlat } from '../index/index-flat.ts';
import { IndexIVFFlat } from '../index/index-ivf-flat.ts';
import { IndexIVFPQ } from '../index/index-ivf-pq.ts';
import { IndexLSH } from '../index/index-lsh.ts';
import { IndexPQ } from '../index/index-pq.ts';
import { IndexPreTransform } from '../index/index-pretransform.ts';
import { LinearTransform } from '../index/linear-transform.ts';
import { OPQMatrix } from '../index/opq-matrix.ts';
import { PCAMatrix } from '../index/pca-matrix.ts';
import type { VectorIndex } from '../index/types.ts';
import type { FaissIndex, FaissInvertedLists, FaissVectorTransform } from './types.ts';
import { METRIC_L2 } from './types.ts';

function unsupported(what: string): never {
  throw new FindableError('FACTORY_UNSUPPORTED', `faiss index -> Findable quantizer: ${what} is not supported`);
}

function listsOf(inv: FaissInvertedLists | null) {
  if (!inv) return undefined;
  return inv.ids.map((ids, l) => ({ codes: inv.codes[l], ids }));
}

/** The transform classes of ../index for one faiss transform. `pqM` is the M of the PQ it feeds, if any. */
export function faissTransformToClass(t: FaissVectorTransform, pqM: number): LinearTransform {
  if (t.kind !== 'LinearTransform') unsupported(`a ${t.kind}`);
  if (!t.isTrained || t.A.length === 0) unsupported('an untrained transform');
  const b = t.haveBias ? t.b : undefined;
  switch (t.fourcc) {
    case 'Pcam':
    case 'PcAm':
    case 'PCAm': {
      const p = t.pca;
      if (!p) unsupported('a PCAMatrix without its fields');
      return PCAMatrix.fromParts({
        dIn: t.dIn,
        dOut: t.dOut,
        mean: p.mean,
        A: t.A,
        b,
        eigenvalues: p.eigenvalues,
        PCAMat: p.PCAMat,
        eigenPower: p.eigenPower,
        randomRotation: p.randomRotation,
        epsilon: p.epsilon,
      });
    }
    case 'LTra':
      // OPQMatrix is serialized as a plain "LTra"; keep the OPQ class when it feeds a PQ so that the
      // converted index is the same kind of object faiss's factory ("OPQ8,...") would build.
      if (!b && pqM > 0 && t.dOut % pqM === 0 && t.dOut <= t.dIn) {
        return OPQMatrix.fromRotation({ dIn: t.dIn, dOut: t.dOut, M: pqM, A: t.A });
      }
      return LinearTransform.fromParts({ dIn: t.dIn, dOut: t.dOut, A: t.A, b });
    default:
      return LinearTransform.fromParts({ dIn: t.dIn, dOut: t.dOut, A: t.A, b });
  }
}

function pqMOf(index: FaissIndex): number {
  return index.kind === 'IndexPQ' || index.kind === 'IndexIVFPQ' ? index.pq.M : 0;
}

/** Builds the equivalent searchable index (with its stored vectors / codes and ids). */
export function faissToIndex(index: FaissIndex): VectorIndex {
  if (index.kind !== 'IndexLSH' && index.kind !== 'IndexPreTransform' && index.header.metricType !== METRIC_L2) {
    unsupported(`metric type ${index.header.metricType} (only L2)`);
  }
  const d = index.header.d;
  switch (index.kind) {
    case 'IndexFlat':
      return IndexFlat.fromParts({ d, vectors: index.vectors });
    case 'IndexPQ':
      if (index.pq.nbits !== 8) unsupported(`IndexPQ with nbits = ${index.pq.nbits}`);
      if (index.searchType !== 0) unsupported(`IndexPQ search_type ${index.searchType} (only ST_PQ = 0)`);
      return IndexPQ.fromParts({ d, M: index.pq.M, pqCentroids: index.pq.centroids, codes: index.codes });
    case 'IndexIVFFlat':
    case 'IndexIVFPQ': {
      const q = index.quantizer;
      if (q.kind !== 'IndexFlat') unsupported(`an IVF coarse quantizer of type ${q.kind}`);
      const common = {
        d,
        nlist: index.nlist,
        centroids: q.vectors,
        lists: listsOf(index.invlists),
        nprobe: index.nprobe,
      };
      if (index.kind === 'IndexIVFFlat') return IndexIVFFlat.fromParts(common);
      if (!index.byResidual) unsupported('IndexIVFPQ with by_residual = false');
      if (index.pq.nbits !== 8) unsupported(`IndexIVFPQ with nbits = ${index.pq.nbits}`);
      return IndexIVFPQ.fromParts({ ...common, M: index.pq.M, pqCentroids: index.pq.centroids });
    }
    case 'IndexLSH':
      return IndexLSH.fromParts({
        d,
        nbits: index.nbits,
        rotateData: index.rotateData,
        trainThresholds: index.trainThresholds,
        rotation: index.rotateData ? index.rrot.A : undefined,
        thresholds: index.trainThresholds ? index.thresholds : undefined,
        codes: index.codes,
      });
    case 'IndexPreTransform': {
      const pqM = pqMOf(index.index);
      const chain = index.chain.map((t) => faissTransformToClass(t, pqM));
      return IndexPreTransform.fromParts({ chain, index: faissToIndex(index.index) });
    }
  }
}
