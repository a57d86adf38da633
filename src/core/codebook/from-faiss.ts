/**
 * faiss index (as read by ../faiss/read-index.ts) -> codebook parts: keeps the trained quantizer (transforms,
 * coarse centroids, PQ codebooks, LSH rotation / thresholds) and drops everything the browser must not get
 * or does not need (inverted lists, stored codes, ids, vectors). This is how a codebook is made from an
 * index trained with python faiss: faiss.write_index -> readFaissIndex -> codebookFromFaiss -> serialize.
 */
import { FindableError } from '../errors.ts';
import type { FaissIndex, FaissVectorTransform } from '../faiss/types.ts';
import { METRIC_L2 } from '../faiss/types.ts';
import type { CodebookParts, ExtractorRef, QuantizerParts, TransformParts } from './types.ts';

export interface FromFaissOptions {
  extractor: ExtractorRef;
  /** Default: now. */
  createdAt?: string;
  /** Default: derived from the index structure (see deriveFactory). */
  factory?: string;
}

function unsupported(what: string): never {
  throw new FindableError('FACTORY_UNSUPPORTED', `cannot make a codebook from ${what}`);
}

function quantizerOf(index: FaissIndex): { q: QuantizerParts; token: string } {
  if (!index.header.isTrained) {
    throw new FindableError('INDEX_NOT_TRAINED', `the faiss ${index.kind} is not trained`);
  }
  if (index.kind !== 'IndexLSH' && index.header.metricType !== METRIC_L2) {
    unsupported(`a ${index.kind} with metric type ${index.header.metricType} (only L2 is supported)`);
  }
  const d = index.header.d;
  const pqToken = (M: number, nbits: number) => `PQ${M}${nbits === 8 ? '' : `x${nbits}`}`;
  switch (index.kind) {
    case 'IndexFlat':
      return { q: { type: 'flat', d }, token: 'Flat' };
    case 'IndexPQ':
      return {
        q: { type: 'pq', d, M: index.pq.M, nbits: index.pq.nbits, centroids: index.pq.centroids.slice() },
        token: pqToken(index.pq.M, index.pq.nbits),
      };
    case 'IndexIVFFlat':
    case 'IndexIVFPQ': {
      const cq = index.quantizer;
      if (cq.kind !== 'IndexFlat') unsupported(`an IVF index whose coarse quantizer is a ${cq.kind}`);
      const centroids = cq.vectors.slice();
      if (index.kind === 'IndexIVFFlat') {
        return { q: { type: 'ivf-flat', d, nlist: index.nlist, centroids }, token: `IVF${index.nlist},Flat` };
      }
      const { M, nbits } = index.pq;
      const q: QuantizerParts = {
        type: 'ivf-pq',
        d,
        nlist: index.nlist,
        centroids,
        byResidual: index.byResidual,
        M,
        nbits,
        pqCentroids: index.pq.centroids.slice(),
      };
      return { q, token: `IVF${index.nlist},${pqToken(M, nbits)}` };
    }
    case 'IndexLSH':
      return {
        q: {
          type: 'lsh',
          d,
          nbits: index.nbits,
          rotation: index.rotateData ? index.rrot.A.slice() : null,
          thresholds: index.trainThresholds ? index.thresholds.slice() : null,
        },
        token: `LSH${index.rotateData ? 'r' : ''}${index.trainThresholds ? 't' : ''}`,
      };
    case 'IndexPreTransform':
      return unsupported('nested IndexPreTransform');
  }
}

function transformOf(t: FaissVectorTransform, next: QuantizerParts): { t: TransformParts; token: string } {
  if (!t.isTrained) throw new FindableError('INDEX_NOT_TRAINED', 'a transform of the faiss index is not trained');
  if (t.kind === 'NormalizationTransform') {
    if (t.norm !== 2) unsupported(`a NormalizationTransform with norm ${t.norm} (only L2)`);
    return { t: { type: 'l2norm', dIn: t.dIn, dOut: t.dOut }, token: 'L2norm' };
  }
  if (t.kind === 'CenteringTransform') return unsupported('a CenteringTransform');
  const base = { dIn: t.dIn, dOut: t.dOut, A: t.A.slice(), b: t.haveBias ? t.b.slice() : null };
  switch (t.fourcc) {
    case 'Pcam':
    case 'PcAm':
    case 'PCAm': {
      const w = t.pca?.eigenPower === -0.5 ? 'W' : '';
      const r = t.pca?.randomRotation ? 'R' : '';
      return { t: { type: 'pca', ...base }, token: `PCA${w}${r}${t.dOut}` };
    }
    case 'rrot':
      return { t: { type: 'rotation', ...base }, token: `RR${t.dOut}` };
    case 'LTra': {
      // faiss writes OPQMatrix as a plain "LTra": a bias-free transform feeding a PQ is how OPQ shows up.
      const pqM = next.type === 'pq' || next.type === 'ivf-pq' ? next.M : 0;
      if (pqM > 0 && !t.haveBias) {
        return { t: { type: 'opq', ...base }, token: `OPQ${pqM}${t.dOut === t.dIn ? '' : `_${t.dOut}`}` };
      }
      return { t: { type: 'linear', ...base }, token: `LinearTransform${t.dOut}` };
    }
    case 'Viqm':
      return { t: { type: 'linear', ...base }, token: `ITQ${t.dOut}` };
  }
}

/** Codebook parts of a trained faiss index (the inverted lists and stored codes are left out). */
export function codebookFromFaiss(index: FaissIndex, options: FromFaissOptions): CodebookParts {
  const chain = index.kind === 'IndexPreTransform' ? index.chain : [];
  const inner = index.kind === 'IndexPreTransform' ? index.index : index;
  const { q, token } = quantizerOf(inner);
  const transforms = chain.map((t) => transformOf(t, q));
  return {
    factory: options.factory ?? [...transforms.map((t) => t.token), token].join(','),
    metric: 'L2',
    d: index.header.d,
    transforms: transforms.map((t) => t.t),
    quantizer: q,
    extractor: { ...options.extractor },
    createdAt: options.createdAt ?? new Date().toISOString(),
  };
}
