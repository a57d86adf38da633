/**
 * Loads the codebook the server serves and indexes with: the file's bytes are served as they are; the
 * parts are parsed and validated by src/core/codebook and turned into an empty index of src/core/index
 * (fromParts constructors only: no math here).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseCodebook } from '../core/codebook/parse';
import type { Codebook, ExtractorRef } from '../core/codebook/types';
import { FindableError } from '../core/errors';
import { IndexFlat } from '../core/index/index-flat';
import { IndexIVFFlat } from '../core/index/index-ivf-flat';
import { IndexIVFPQ } from '../core/index/index-ivf-pq';
import { IndexLSH } from '../core/index/index-lsh';
import { IndexPQ } from '../core/index/index-pq';
import { IndexPreTransform } from '../core/index/index-pretransform';
import { LinearTransform } from '../core/index/linear-transform';
import type { VectorIndex } from '../core/index/types';
import { QuantizerLiveIndex } from './live-index';
import type { ServedCodebook } from './routes/context';

function unsupported(what: string): FindableError {
  return new FindableError('FACTORY_UNSUPPORTED', `The server cannot index with ${what} yet.`, { what });
}

/** An empty index holding the codebook's quantizer (and its transform chain). */
export function indexFromCodebook(cb: Codebook): VectorIndex {
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

export interface LoadedCodebook {
  served: ServedCodebook;
  index: QuantizerLiveIndex;
  codebook: Codebook;
}

/**
 * Reads, validates and indexes a codebook file. Its version (what registrations name in
 * codebookVersion) is the codebook's content hash; its ETag is the SHA-256 of the file's bytes.
 */
export function loadCodebookFile(path: string, expectedExtractor?: ExtractorRef): LoadedCodebook {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new FindableError('IO', `Cannot read the codebook ${path}: ${(e as Error).message}`, { path });
  }
  const codebook = parseCodebook(bytes.toString('utf8'), { expectedExtractor });
  const etag = `"sha256-${createHash('sha256').update(bytes).digest('hex')}"`;
  const index = new QuantizerLiveIndex(indexFromCodebook(codebook), codebook.contentHash);
  return { served: { version: codebook.contentHash, bytes, etag }, index, codebook };
}
