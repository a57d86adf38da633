/**
 * Findable quantizer classes (../index) -> faiss-shaped data, ready for writeFaissIndex: lets an index
 * trained and filled in TypeScript be opened by python faiss (faiss.read_index) for evaluation.
 *
 * Field choices follow what faiss itself writes for a freshly built index: header dummies 1 << 20, metric L2,
 * IVF direct map "none", PCAMatrix as "Pcam" (balanced_bins 0), OPQMatrix / LinearTransform as "LTra",
 * a random rotation as "rrot" (b empty: faiss only writes b when have_bias), and for IndexLSH without
 * rotate_data an untrained, empty d -> nbits "rrot" exactly like faiss's IndexLSH constructor leaves it.
 * faiss numbers the vectors of IndexFlat / IndexPQ / IndexLSH by row, so those need ids 0..ntotal-1.
 */
import { FindableError } from '../errors.ts';
import { IndexFlat } from '../index/index-flat.ts';
import type { IndexIVF } from '../index/index-ivf.ts';
import { IndexIVFFlat } from '../index/index-ivf-flat.ts';
import { IndexIVFPQ } from '../index/index-ivf-pq.ts';
import { IndexLSH } from '../index/index-lsh.ts';
import { IndexPQ } from '../index/index-pq.ts';
import { IndexPreTransform } from '../index/index-pretransform.ts';
import type { LinearTransform } from '../index/linear-transform.ts';
import { PCAMatrix } from '../index/pca-matrix.ts';
import { RandomRotationMatrix } from '../index/random-rotation.ts';
import type { VectorIndex } from '../index/types.ts';
import {
  type FaissHeader,
  type FaissIndex,
  type FaissInvertedLists,
  type FaissLinearTransform,
  HEADER_DUMMY,
  METRIC_L2,
} from './types.ts';

function header(d: number, ntotal: number, isTrained: boolean): FaissHeader {
  return { d, ntotal, dummy1: HEADER_DUMMY, dummy2: HEADER_DUMMY, isTrained, metricType: METRIC_L2 };
}

function bigIds(ids: Float64Array): BigInt64Array {
  const out = new BigInt64Array(ids.length);
  for (let i = 0; i < ids.length; i++) out[i] = BigInt(ids[i]);
  return out;
}

function requireSequentialIds(kind: string, ids: Float64Array): void {
  for (let i = 0; i < ids.length; i++) {
    if (ids[i] !== i) {
      throw new FindableError(
        'FACTORY_UNSUPPORTED',
        `faiss ${kind} numbers vectors 0..ntotal-1, but stored vector ${i} has id ${ids[i]} (faiss would need an IndexIDMap)`,
      );
    }
  }
}

export function transformToFaiss(t: LinearTransform): FaissLinearTransform {
  const common = {
    kind: 'LinearTransform' as const,
    haveBias: t.haveBias,
    A: t.A.slice(),
    b: t.haveBias ? t.b.slice() : new Float32Array(0),
    dIn: t.dIn,
    dOut: t.dOut,
    isTrained: t.isTrained,
  };
  if (t instanceof PCAMatrix) {
    return {
      ...common,
      fourcc: 'Pcam',
      pca: {
        eigenPower: t.eigenPower,
        epsilon: t.epsilon,
        randomRotation: t.randomRotation,
        balancedBins: 0,
        mean: t.mean.slice(),
        eigenvalues: t.eigenvalues.slice(),
        PCAMat: t.PCAMat.slice(),
      },
    };
  }
  return { ...common, fourcc: t instanceof RandomRotationMatrix ? 'rrot' : 'LTra' };
}

function listsToFaiss(ivf: IndexIVF): FaissInvertedLists {
  const stores = ivf.invlists.lists;
  return {
    nlist: ivf.nlist,
    codeSize: ivf.codeSize,
    codes: stores.map((s) => s.codes.slice()),
    ids: stores.map((s) => bigIds(s.ids)),
  };
}

function ivfCommon(ivf: IndexIVF) {
  return {
    header: header(ivf.d, ivf.ntotal, ivf.isTrained),
    nlist: ivf.nlist,
    nprobe: ivf.nprobe,
    quantizer: {
      kind: 'IndexFlat' as const,
      fourcc: 'IxF2' as const,
      header: header(ivf.d, ivf.nlist, true),
      vectors: ivf.centroids.slice(),
    },
    directMap: { type: 0, array: new BigInt64Array(0) },
    invlists: listsToFaiss(ivf),
  };
}

/** faiss-shaped copy of a Findable index (codes, ids and trained parameters). */
export function indexToFaiss(index: VectorIndex): FaissIndex {
  if (index instanceof IndexFlat) {
    requireSequentialIds('IndexFlat', index.ids);
    return {
      kind: 'IndexFlat',
      fourcc: 'IxF2',
      header: header(index.d, index.ntotal, true),
      vectors: index.vectors.slice(),
    };
  }
  if (index instanceof IndexPQ) {
    requireSequentialIds('IndexPQ', index.ids);
    const { pq } = index;
    return {
      kind: 'IndexPQ',
      header: header(index.d, index.ntotal, index.isTrained),
      pq: { d: pq.d, M: pq.M, nbits: pq.nbits, centroids: pq.centroids.slice() },
      codes: index.codes.slice(),
      searchType: 0,
      encodeSigns: false,
      polysemousHt: pq.M * pq.nbits + 1,
    };
  }
  if (index instanceof IndexIVFFlat) return { kind: 'IndexIVFFlat', ...ivfCommon(index) };
  if (index instanceof IndexIVFPQ) {
    const { pq } = index;
    return {
      kind: 'IndexIVFPQ',
      ...ivfCommon(index),
      byResidual: index.byResidual,
      codeSize: pq.codeSize,
      pq: { d: pq.d, M: pq.M, nbits: pq.nbits, centroids: pq.centroids.slice() },
    };
  }
  if (index instanceof IndexLSH) {
    requireSequentialIds('IndexLSH', index.ids);
    const rrot: FaissLinearTransform = index.rotation
      ? { ...transformToFaiss(index.rotation), fourcc: 'rrot' }
      : {
          kind: 'LinearTransform',
          fourcc: 'rrot',
          haveBias: false,
          A: new Float32Array(0),
          b: new Float32Array(0),
          dIn: index.d,
          dOut: index.nbits,
          isTrained: false,
        };
    return {
      kind: 'IndexLSH',
      header: header(index.d, index.ntotal, index.isTrained),
      nbits: index.nbits,
      rotateData: index.rotateData,
      trainThresholds: index.trainThresholds,
      thresholds: index.trainThresholds ? index.thresholds.slice() : new Float32Array(0),
      codeSize: index.codeSize,
      rrot,
      codes: index.codes.slice(),
    };
  }
  if (index instanceof IndexPreTransform) {
    return {
      kind: 'IndexPreTransform',
      header: header(index.d, index.ntotal, index.isTrained),
      chain: index.chain.map(transformToFaiss),
      index: indexToFaiss(index.index),
    };
  }
  throw new FindableError('FACTORY_UNSUPPORTED', `cannot write a ${index.constructor.name} as a faiss index`);
}
