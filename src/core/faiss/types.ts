/**
 * "faiss-shaped" plain data: one interface per faiss class we read and write, holding exactly the fields of
 * its serialized form (faiss 1.7.3 impl/index_read.cpp / index_write.cpp), so that read -> write reproduces
 * the file byte for byte. No behaviour here: conversion to the searchable quantizer classes lives in
 * to-quantizer.ts, conversion to the browser codebook in ../codebook/from-faiss.ts.
 *
 * Array layouts (all row-major, float32 little-endian in the file):
 *   IndexFlat vectors            ntotal x d
 *   ProductQuantizer centroids   M x ksub x dsub   (ksub = 2^nbits, dsub = d / M)
 *   IVF coarse centroids         the quantizer sub-index (an IndexFlat: nlist x d)
 *   inverted list l              codes size_l x code_size bytes, ids size_l int64
 *   LinearTransform A            d_out x d_in, b d_out (y = A x + b)
 *   PCAMatrix PCAMat             d_in x d_in (all eigenvectors, one per row); A is its first d_out rows
 *   LSH codes                    ntotal x code_size bytes, bit j of a vector = byte j >> 3, bit (j & 7)
 * Ids are BigInt64Array (faiss idx_t) so that round trips are exact.
 */

/** faiss MetricType: METRIC_INNER_PRODUCT = 0, METRIC_L2 = 1; values > 1 carry a metric_arg float. */
export const METRIC_INNER_PRODUCT = 0;
export const METRIC_L2 = 1;

/** faiss writes 1 << 20 into the two unused int64 header fields. */
export const HEADER_DUMMY = 1n << 20n;

/** Fields of faiss write_index_header, in file order. */
export interface FaissHeader {
  /** int32 */
  d: number;
  /** int64 */
  ntotal: number;
  /** int64 x 2, unused by faiss (always 1 << 20); kept for exact round trips. */
  dummy1: bigint;
  dummy2: bigint;
  /** bool (1 byte) */
  isTrained: boolean;
  /** int32 */
  metricType: number;
  /** float, present in the file only when metricType > 1. */
  metricArg?: number;
}

export interface FaissProductQuantizer {
  /** size_t x 3 */
  d: number;
  M: number;
  nbits: number;
  /** M x 2^nbits x (d / M) */
  centroids: Float32Array;
}

/** faiss DirectMap (id -> list/offset), written by every IVF index. */
export interface FaissDirectMap {
  /** char: 0 NoMap, 1 Array, 2 Hashtable */
  type: number;
  /** int64 vector: for Array, entry i = (list << 32) | offset of id i. */
  array: BigInt64Array;
  /** Hashtable only: (id, list << 32 | offset) pairs, flattened. */
  hashtable?: BigInt64Array;
}

/** ArrayInvertedLists ("ilar"). */
export interface FaissInvertedLists {
  nlist: number;
  codeSize: number;
  /** One entry per list. */
  codes: Uint8Array[];
  ids: BigInt64Array[];
}

interface WithHeader {
  header: FaissHeader;
}

export interface FaissIndexFlat extends WithHeader {
  /** "IxF2" (IndexFlatL2), "IxFI" (IndexFlatIP), "IxFl" (IndexFlat with any metric). */
  kind: 'IndexFlat';
  fourcc: 'IxF2' | 'IxFI' | 'IxFl';
  /** ntotal x d */
  vectors: Float32Array;
}

export interface FaissIndexPQ extends WithHeader {
  kind: 'IndexPQ';
  pq: FaissProductQuantizer;
  /** ntotal x code_size */
  codes: Uint8Array;
  /** int32: 0 ST_PQ (ADC), 1 ST_HE, 2 ST_generalized_HE, 3 ST_SDC, 4 ST_polysemous, 5 ST_polysemous_generalize */
  searchType: number;
  /** bool */
  encodeSigns: boolean;
  /** int32 Hamming threshold of polysemous search */
  polysemousHt: number;
}

/** Fields shared by IndexIVF subclasses (write_ivf_header). */
export interface FaissIvfHeader extends WithHeader {
  /** size_t */
  nlist: number;
  /** size_t */
  nprobe: number;
  /** The coarse quantizer, itself a serialized index (normally IndexFlatL2 with nlist centroids). */
  quantizer: FaissIndex;
  directMap: FaissDirectMap;
  /** null when the file holds "il00" (lists stored elsewhere). */
  invlists: FaissInvertedLists | null;
}

export interface FaissIndexIVFFlat extends FaissIvfHeader {
  kind: 'IndexIVFFlat';
}

export interface FaissIndexIVFPQ extends FaissIvfHeader {
  kind: 'IndexIVFPQ';
  /** bool: PQ encodes x - C_list (true by default) */
  byResidual: boolean;
  /** size_t: bytes per PQ code */
  codeSize: number;
  pq: FaissProductQuantizer;
  // faiss does not serialize IndexIVFPQ's polysemous_ht / do_polysemous_training, nor use_precomputed_table
  // (recomputed at load time): a round trip through faiss resets them, so they have no field here.
}

export interface FaissIndexLSH extends WithHeader {
  kind: 'IndexLSH';
  /** int32 */
  nbits: number;
  rotateData: boolean;
  trainThresholds: boolean;
  /** float vector, nbits entries when trainThresholds */
  thresholds: Float32Array;
  /** int32 in the file: ceil(nbits / 8) */
  codeSize: number;
  /** The random rotation (d -> nbits); its A is empty unless rotateData. */
  rrot: FaissLinearTransform;
  /** ntotal x codeSize */
  codes: Uint8Array;
}

export interface FaissIndexPreTransform extends WithHeader {
  kind: 'IndexPreTransform';
  /** Applied in order to every vector before the sub-index. */
  chain: FaissVectorTransform[];
  index: FaissIndex;
}

export type FaissIndex =
  | FaissIndexFlat
  | FaissIndexPQ
  | FaissIndexIVFFlat
  | FaissIndexIVFPQ
  | FaissIndexLSH
  | FaissIndexPreTransform;

/** Fields common to every VectorTransform, written last (d_in, d_out int32; is_trained bool). */
interface TransformCommon {
  dIn: number;
  dOut: number;
  isTrained: boolean;
}

/** LinearTransform and the subclasses serialized with its fields: y = A x + b. */
export interface FaissLinearTransform extends TransformCommon {
  kind: 'LinearTransform';
  /**
   * "LTra" plain LinearTransform (also how OPQMatrix is written: faiss has no OPQ fourcc), "rrot"
   * RandomRotationMatrix, "Pcam" / "PcAm" / "PCAm" PCAMatrix (newest to oldest), "Viqm" ITQMatrix.
   */
  fourcc: 'LTra' | 'rrot' | 'Pcam' | 'PcAm' | 'PCAm' | 'Viqm';
  /** PCAMatrix only. */
  pca?: {
    eigenPower: number;
    /** "Pcam" only */
    epsilon?: number;
    randomRotation: boolean;
    /** int32 (number of bins of the balanced PCA variant, 0 = off); absent in "PCAm" */
    balancedBins?: number;
    /** d_in */
    mean: Float32Array;
    eigenvalues: Float32Array;
    /** d_in x d_in */
    PCAMat: Float32Array;
  };
  /** ITQMatrix only (int32 x 2). */
  itq?: { maxIter: number; seed: number };
  haveBias: boolean;
  /** d_out x d_in (may be empty for an untrained / unused transform, e.g. IndexLSH without rotate_data) */
  A: Float32Array;
  /** d_out when haveBias, else empty */
  b: Float32Array;
}

/** NormalizationTransform ("VNrm"): L_norm normalization of each vector. */
export interface FaissNormalizationTransform extends TransformCommon {
  kind: 'NormalizationTransform';
  norm: number;
}

/** CenteringTransform ("VCnt"): subtracts the training mean. */
export interface FaissCenteringTransform extends TransformCommon {
  kind: 'CenteringTransform';
  mean: Float32Array;
}

export type FaissVectorTransform = FaissLinearTransform | FaissNormalizationTransform | FaissCenteringTransform;
