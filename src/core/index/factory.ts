/**
 * faiss index_factory for the index types of the paper (L2 only).
 *
 * Grammar (comma-separated, transforms first, like faiss 1.7.3):
 *   transforms: OPQ<M>[_<d_out>]  PCA[W][R]<d_out>  (W: eigen_power -0.5, R: random rotation)  RR<d_out>
 *   index:      Flat | PQ<M>[x8][np] | IVF<nlist>,Flat | IVF<nlist>,PQ<M>[x8][np] | LSH[<nbits>][r][t]
 * Examples: "IVF4096,PQ8x8", "IVF1024,Flat", "OPQ8,PQ8x8", "OPQ8,IVF4096,PQ8x8", "OPQ16_64,IVF256,PQ16",
 * "PCA64,LSH", "LSH", "LSH512r", "Flat", "PQ8x8". Anything else (other nbits, HNSW, SQ, RFlat, IDMap...)
 * throws FindableError('FACTORY_UNSUPPORTED') naming the string.
 */
import { FindableError } from '../errors.ts';
import { IndexFlat } from './index-flat.ts';
import { IndexIVFFlat } from './index-ivf-flat.ts';
import { IndexIVFPQ } from './index-ivf-pq.ts';
import { IndexLSH } from './index-lsh.ts';
import { IndexPQ } from './index-pq.ts';
import { IndexPreTransform } from './index-pretransform.ts';
import type { LinearTransform } from './linear-transform.ts';
import { OPQMatrix } from './opq-matrix.ts';
import { PCAMatrix } from './pca-matrix.ts';
import { RandomRotationMatrix } from './random-rotation.ts';
import type { VectorIndex } from './types.ts';

function unsupported(desc: string, why: string): FindableError {
  return new FindableError('FACTORY_UNSUPPORTED', `Unsupported index factory string "${desc}": ${why}`, {
    factory: desc,
    reason: why,
  });
}

/** Builds an untrained index of input dimension d from a faiss factory string. */
export function indexFactory(d: number, desc: string): VectorIndex {
  if (!Number.isInteger(d) || d <= 0) {
    throw new FindableError('INVALID_ARGUMENT', `indexFactory: d must be a positive integer, got ${d}`);
  }
  const tokens = desc.split(',').map((t) => t.trim());
  if (tokens.some((t) => t === '')) throw unsupported(desc, 'empty component');
  const chain: LinearTransform[] = [];
  let dim = d;
  let i = 0;
  for (; i < tokens.length; i++) {
    const t = tokens[i];
    let m: RegExpMatchArray | null;
    // Transform constructors throw INVALID_ARGUMENT on bad dimensions; those are reported as unsupported too.
    try {
      if ((m = t.match(/^OPQ(\d+)(?:_(\d+))?$/))) {
        const dOut = m[2] ? Number(m[2]) : dim;
        chain.push(new OPQMatrix(dim, Number(m[1]), dOut));
        dim = dOut;
      } else if ((m = t.match(/^PCA(W?)(R?)(\d+)$/))) {
        const dOut = Number(m[3]);
        if (dOut > dim) throw unsupported(desc, `PCA output ${dOut} > input ${dim}`);
        chain.push(new PCAMatrix(dim, dOut, m[1] ? -0.5 : 0, m[2] === 'R'));
        dim = dOut;
      } else if ((m = t.match(/^RR(\d+)$/))) {
        const dOut = Number(m[1]);
        chain.push(new RandomRotationMatrix(dim, dOut));
        dim = dOut;
      } else {
        break;
      }
    } catch (e) {
      if (e instanceof FindableError && e.code === 'INVALID_ARGUMENT') throw unsupported(desc, e.message);
      throw e;
    }
  }
  const rest = tokens.slice(i).join(',');
  let index: VectorIndex;
  try {
    index = buildIndex(dim, rest, desc);
  } catch (e) {
    if (e instanceof FindableError && e.code === 'INVALID_ARGUMENT') throw unsupported(desc, e.message);
    throw e;
  }
  return chain.length > 0 ? new IndexPreTransform(chain, index) : index;
}

function pqM(mStr: string, nbitsStr: string | undefined, desc: string): number {
  if (nbitsStr !== undefined && nbitsStr !== '8') throw unsupported(desc, `only 8-bit PQ is supported (x${nbitsStr})`);
  return Number(mStr);
}

function buildIndex(d: number, s: string, desc: string): VectorIndex {
  let m: RegExpMatchArray | null;
  if (s === 'Flat') return new IndexFlat(d);
  // A trailing "np" (no polysemous training) is accepted and ignored: we never do polysemous training.
  if ((m = s.match(/^PQ(\d+)(?:x(\d+))?(?:np)?$/))) return new IndexPQ(d, pqM(m[1], m[2], desc));
  if ((m = s.match(/^IVF(\d+),Flat$/))) return new IndexIVFFlat(d, Number(m[1]));
  if ((m = s.match(/^IVF(\d+),PQ(\d+)(?:x(\d+))?(?:np)?$/)))
    return new IndexIVFPQ(d, Number(m[1]), pqM(m[2], m[3], desc));
  if ((m = s.match(/^LSH(\d*)(r?)(t?)$/))) {
    const nbits = m[1] ? Number(m[1]) : d;
    return new IndexLSH(d, nbits, m[2] === 'r', m[3] === 't');
  }
  throw unsupported(desc, s === '' ? 'no index after the transforms' : `"${s}" is not a supported index`);
}
