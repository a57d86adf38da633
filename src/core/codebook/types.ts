/**
 * The frozen index quantizer shipped to the browser ("codebook"), as validated in-memory parts.
 * The JSON format that carries it is specified in docs/codebook.md (format version 1).
 *
 * Layouts (row-major float32):
 *   linear transform A        dOut x dIn, y = A x + b, b has dOut entries (or is absent: zero)
 *   flat / IVF centroids      nlist x d            (d = quantizer dimension, after the transforms)
 *   PQ centroids              M x ksub x dsub      (ksub = 2^nbits, dsub = d / M)
 *   LSH rotation              nbits x d            (absent: identity, nbits must equal d)
 *   LSH thresholds            nbits                (absent: zeros)
 * No inverted lists and no database vectors: only what maps a feature to its code and back.
 */

export const CODEBOOK_FORMAT = 'findable-codebook';
/** The newest format version this code reads and the one it writes. */
export const CODEBOOK_VERSION = 1;

/** The feature extractor a codebook was trained for (a different model gives meaningless targets). */
export interface ExtractorRef {
  /** Stable model identifier, e.g. "mobilenet_v2_1.4_224-gap". */
  id: string;
  /** sha256 (64 lowercase hex characters) of the model file. */
  sha256: string;
}

/**
 * Transforms applied before the quantizer, in order (faiss IndexPreTransform chain).
 * 'pca' (faiss PCAMatrix, b = -A mean), 'opq' (OPQMatrix, square orthonormal, no bias), 'rotation' (random
 * rotation) and 'linear' are all y = A x + b; the reverse map used for targets is x = A^T (y - b), exact for
 * orthonormal A and the orthogonal projection back for PCA with dOut < dIn (as faiss reverse_transform).
 * 'l2norm' (faiss NormalizationTransform, L2) rescales to unit norm; its reverse is the identity (faiss).
 */
export type TransformParts =
  | {
      type: 'pca' | 'opq' | 'rotation' | 'linear';
      dIn: number;
      dOut: number;
      /** dOut x dIn */
      A: Float32Array;
      /** dOut, or null for no bias */
      b: Float32Array | null;
    }
  | { type: 'l2norm'; dIn: number; dOut: number };

export type QuantizerParts =
  /** Exact storage (faiss IndexFlatL2): q(x) = x, activation gains nothing (method.md section 4). */
  | { type: 'flat'; d: number }
  /** faiss IndexPQ: code = M sub-centroid numbers. */
  | { type: 'pq'; d: number; M: number; nbits: number; centroids: Float32Array }
  /** faiss IndexIVFFlat: the lossy step is the cell; target = x moved 3/4 of the way to its list's centroid (IndexIVFFlat). */
  | { type: 'ivf-flat'; d: number; nlist: number; centroids: Float32Array }
  /** faiss IndexIVFPQ: list = nearest coarse centroid, PQ on x - C_list when byResidual. */
  | {
      type: 'ivf-pq';
      d: number;
      nlist: number;
      /** nlist x d */
      centroids: Float32Array;
      byResidual: boolean;
      M: number;
      nbits: number;
      /** M x 2^nbits x (d / M) */
      pqCentroids: Float32Array;
    }
  /** faiss IndexLSH: bit j = (R x - t)_j > 0; decoded as +-1 (+ t), then R^T (faiss sa_decode). */
  | {
      type: 'lsh';
      d: number;
      nbits: number;
      /** nbits x d, or null when faiss's rotate_data is false (then nbits == d) */
      rotation: Float32Array | null;
      /** nbits, or null when faiss's train_thresholds is false */
      thresholds: Float32Array | null;
    };

/** What serialize() takes. */
export interface CodebookParts {
  /** faiss index_factory string describing the quantizer, e.g. "IVF4096,PQ8x8" or "OPQ8,IVF1024,PQ8". */
  factory: string;
  metric: 'L2';
  /** Input (feature) dimension. */
  d: number;
  transforms: TransformParts[];
  quantizer: QuantizerParts;
  extractor: ExtractorRef;
  /** ISO 8601 UTC creation time; informative only (not part of the content hash). */
  createdAt: string;
}

/** What parse() returns: the parts plus the format version and the content hash (usable as an ETag). */
export interface Codebook extends CodebookParts {
  version: number;
  /** "sha256-" + 64 hex characters over the canonical content (docs/codebook.md). */
  contentHash: string;
}
