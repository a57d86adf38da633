/**
 * Shared types of the index quantizers (faiss semantics, L2 metric only).
 *
 * Vectors: n x d float32 row-major (x[i * d + j]); Float64Array inputs are accepted and rounded to float32
 * on entry, exactly like passing numpy float64 to faiss's Python wrapper after astype('float32').
 * Ids: Float64Array holding integers (faiss idx_t, int64). Safe integers only (|id| < 2^53); -1 = missing.
 * Search results: n x k row-major, distances = SQUARED L2 (Hamming bit counts for LSH) ascending, ties broken
 * by smaller id; missing slots have id -1 and distance MISSING_DISTANCE (faiss fills them with FLT_MAX).
 */
export type Vectors = Float32Array | Float64Array;

/** faiss's neutral value for an empty L2 result slot: std::numeric_limits<float>::max(). */
export const MISSING_DISTANCE = 3.4028234663852886e38;

export interface SearchResult {
  /** n x k, ascending per row. */
  distances: Float32Array;
  /** n x k, -1 where fewer than k candidates were found. */
  ids: Float64Array;
}

export interface ProgressOptions {
  /** Checked between iterations / blocks; aborting throws FindableError('ABORTED'). */
  signal?: AbortSignal;
  /** Called with (done, total) units of work; units are documented per operation. */
  onProgress?: (done: number, total: number) => void;
}

export interface TrainOptions extends ProgressOptions {
  /** Receives human-readable warnings (faiss prints them to stderr), e.g. k-means subsampling. */
  onWarning?: (message: string) => void;
  /**
   * k-means iterations of the index's own first quantizer: IVF coarse quantizer (faiss default 10) or
   * IndexPQ's sub-quantizers (25). Transforms ignore it (OPQMatrix has niter / niterPq fields).
   */
  niter?: number;
  /** IVF-PQ only: k-means iterations of each PQ sub-quantizer (faiss pq.cp.niter = 25). */
  pqNiter?: number;
  /** k-means seed (faiss ClusteringParameters.seed = 1234). */
  seed?: number;
}

export interface SearchOptions extends ProgressOptions {
  /** IVF indexes: number of inverted lists probed (default: the index's nprobe, itself 1 by default). */
  nprobe?: number;
}

/** What every index implements. */
export interface VectorIndex {
  readonly d: number;
  readonly isTrained: boolean;
  readonly ntotal: number;
  /** Bytes per stored code (faiss sa_code_size for flat-code indexes; PQ/IVF: the PQ code only). */
  readonly codeSize: number;
  train(x: Vectors, n: number, opts?: TrainOptions): void;
  /** Adds n vectors; ids default to ntotal, ntotal + 1, ... */
  add(x: Vectors, n: number, ids?: ArrayLike<number> | BigInt64Array): void;
  search(q: Vectors, n: number, k: number, opts?: SearchOptions): SearchResult;
  /** Removes every stored vector whose id is in `ids`; returns how many were removed. */
  remove(ids: ArrayLike<number> | BigInt64Array): number;
  /**
   * Standalone encoding (faiss sa_encode): n x saCodeSize bytes. For IVF indexes the list number comes
   * first (little-endian, ceil(log2(nlist)/8) bytes) then the list code, like faiss.
   */
  encode(x: Vectors, n: number): Uint8Array;
  readonly saCodeSize: number;
  /** Inverse of encode (faiss sa_decode): the reconstruction q(x) used as the activation target. */
  decode(codes: Uint8Array, n: number): Float32Array;
  /** q(x) for n vectors: decode(encode(x)). */
  reconstruct(x: Vectors, n: number): Float32Array;
  /**
   * The activation target t = q(x_o) of method.md section 2 (n x d). Equal to reconstruct() except for
   * IndexIVFFlat (the coarse centroid C_list) and IndexFlat (x itself: nothing to gain).
   */
  activationTarget(x: Vectors, n: number): Float32Array;
  reset(): void;
}
