/**
 * k-means with faiss::Clustering semantics (faiss 1.7.3, L2, nredo = 1):
 * - n < k throws; n == k copies the points (no iterations), like faiss.
 * - n > maxPointsPerCentroid * k: subsample to that many points with faiss::rand_perm(n, seed) (warning);
 *   n < minPointsPerCentroid * k: warning only.
 * - init: centroids = x[perm[0..k)] with perm = faiss::rand_perm(n, seed + 1) (MT19937, see rng.ts), or the
 *   given `init` centroids (faiss's "hot start" when clus.centroids is pre-filled, used by OPQ after its first
 *   iteration).
 * - niter iterations of: assign every point to its nearest centroid; objective = sum of those squared
 *   distances; centroids = means; empty clusters split exactly like faiss::split_clusters (pick a cluster with
 *   probability (size - 1) / (n - k) using a fresh MT19937(1234) per call, copy it and apply the symmetric
 *   (1 +- 1/1024) perturbation alternating by dimension, halve its count).
 * Differences from faiss: sums and distances are float64 (faiss accumulates in float32), so centroids can
 * differ in the last float32 bits and, rarely, a near-tie assignment can flip; quantisation error matches
 * faiss's within a fraction of a percent (see kmeans.test.ts).
 *
 * Layout: x n x d row-major; centroids k x d row-major (float32).
 */
import { FindableError, throwIfAborted } from '../errors.ts';
import { assignNearest } from './distances.ts';
import { Mt19937, randPerm } from './rng.ts';
import type { TrainOptions, Vectors } from './types.ts';
import { asF32, assertPositiveInt } from './util.ts';

export interface KMeansOptions extends TrainOptions {
  /** Iterations (faiss ClusteringParameters.niter: 25; IVF coarse quantizers use 10). */
  niter?: number;
  /** faiss ClusteringParameters.seed (1234). */
  seed?: number;
  /** 256 in faiss. */
  maxPointsPerCentroid?: number;
  /** 39 in faiss; below it only a warning is emitted. */
  minPointsPerCentroid?: number;
  /** Hot start: initial centroids (k x d) instead of the random pick. */
  init?: Float32Array;
}

export interface KMeansResult {
  /** k x d row-major. */
  centroids: Float32Array;
  /** Objective (sum of squared distances to the assigned centroid) at each iteration, before its update. */
  objective: number[];
  /** Number of empty clusters split at each iteration. */
  splits: number[];
  warnings: string[];
  /** Number of points actually used (after subsampling). */
  nUsed: number;
}

/** faiss fvecs_maybe_subsample / Clustering::subsample_training_set: the first nmax rows of rand_perm(n, seed). */
export function subsampleRows(x: Float32Array, n: number, d: number, nmax: number, seed: number): Float32Array {
  if (n <= nmax) return x;
  const perm = randPerm(n, seed);
  const out = new Float32Array(nmax * d);
  for (let i = 0; i < nmax; i++) out.set(x.subarray(perm[i] * d, perm[i] * d + d), i * d);
  return out;
}

/** Number of points assigned per chunk between abort checks. */
const ASSIGN_CHUNK = 8192;

export function kmeans(xIn: Vectors, n: number, d: number, k: number, opts: KMeansOptions = {}): KMeansResult {
  assertPositiveInt('d', d);
  assertPositiveInt('k', k);
  const niter = opts.niter ?? 25;
  const seed = opts.seed ?? 1234;
  const maxPer = opts.maxPointsPerCentroid ?? 256;
  const minPer = opts.minPointsPerCentroid ?? 39;
  const warnings: string[] = [];
  const warn = (m: string) => {
    warnings.push(m);
    opts.onWarning?.(m);
  };
  let x = asF32('x', xIn, n, d);
  if (n < k) {
    throw new FindableError(
      'INVALID_ARGUMENT',
      `Number of training points (${n}) should be at least as large as number of clusters (${k})`,
      { n, k },
    );
  }
  if (n === k) {
    return { centroids: x.slice(0, k * d), objective: [0], splits: [0], warnings, nUsed: n };
  }
  if (n > k * maxPer) {
    warn(`WARNING clustering ${n} points to ${k} centroids: sampling ${k * maxPer} points`);
    x = subsampleRows(x, n, d, k * maxPer, seed);
    n = k * maxPer;
  } else if (n < k * minPer) {
    warn(`WARNING clustering ${n} points to ${k} centroids: please provide at least ${k * minPer} training points`);
  }

  let centroids: Float32Array;
  if (opts.init) {
    if (opts.init.length !== k * d) {
      throw new FindableError('SHAPE_MISMATCH', `init centroids: expected ${k * d} values, got ${opts.init.length}`);
    }
    centroids = opts.init.slice();
  } else {
    centroids = new Float32Array(k * d);
    const perm = randPerm(n, seed + 1);
    for (let i = 0; i < k; i++) centroids.set(x.subarray(perm[i] * d, perm[i] * d + d), i * d);
  }

  const assign = new Int32Array(n);
  const dis = new Float64Array(n);
  const sums = new Float64Array(k * d);
  const hassign = new Float32Array(k);
  const objective: number[] = [];
  const splits: number[] = [];
  for (let it = 0; it < niter; it++) {
    throwIfAborted(opts.signal);
    for (let i0 = 0; i0 < n; i0 += ASSIGN_CHUNK) {
      const i1 = Math.min(n, i0 + ASSIGN_CHUNK);
      assignNearest(
        x.subarray(i0 * d, i1 * d),
        i1 - i0,
        centroids,
        k,
        d,
        assign.subarray(i0, i1),
        dis.subarray(i0, i1),
      );
      if (i1 < n) throwIfAborted(opts.signal);
    }
    let obj = 0;
    for (let i = 0; i < n; i++) obj += dis[i];
    objective.push(obj);
    clusterMeans(x, n, d, k, assign, sums, hassign, centroids);
    splits.push(splitClusters(d, k, n, hassign, centroids));
    opts.onProgress?.(it + 1, niter);
  }
  return { centroids, objective, splits, warnings, nUsed: n };
}

/**
 * The update step: centroids = means of their assigned points (float64 sums in ascending point order; 0 for
 * an empty cluster, which splitClusters then fills), hassign = cluster sizes. sums is k x d work space.
 */
export function clusterMeans(
  x: Float32Array,
  n: number,
  d: number,
  k: number,
  assign: Int32Array,
  sums: Float64Array,
  hassign: Float32Array,
  centroids: Float32Array,
): void {
  sums.fill(0);
  hassign.fill(0);
  for (let i = 0; i < n; i++) {
    const c = assign[i];
    hassign[c] += 1;
    addRow(sums, c * d, x, i * d, d);
  }
  for (let c = 0; c < k; c++) {
    const h = hassign[c];
    for (let j = 0; j < d; j++) centroids[c * d + j] = h === 0 ? 0 : sums[c * d + j] / h;
  }
}

/** sums[so .. so + d) += x[xo .. xo + d), in float64. Unrolled by 4: about 1.5x the plain loop in V8. */
export function addRow(sums: Float64Array, so: number, x: Float32Array, xo: number, d: number): void {
  const d4 = d - (d % 4);
  let j = 0;
  for (; j < d4; j += 4) {
    sums[so + j] += x[xo + j];
    sums[so + j + 1] += x[xo + j + 1];
    sums[so + j + 2] += x[xo + j + 2];
    sums[so + j + 3] += x[xo + j + 3];
  }
  for (; j < d; j++) sums[so + j] += x[xo + j];
}

/** faiss::split_clusters (see header). Mutates hassign and centroids; returns the number of splits. */
export function splitClusters(d: number, k: number, n: number, hassign: Float32Array, centroids: Float32Array): number {
  const EPS = 1 / 1024;
  let nsplit = 0;
  const rng = new Mt19937(1234);
  for (let ci = 0; ci < k; ci++) {
    if (hassign[ci] !== 0) continue;
    let cj = 0;
    for (;;) {
      const p = Math.fround((hassign[cj] - 1.0) / Math.fround(n - k));
      const r = rng.randFloat();
      if (r < p) break;
      cj = (cj + 1) % k;
    }
    centroids.copyWithin(ci * d, cj * d, cj * d + d);
    for (let j = 0; j < d; j++) {
      if (j % 2 === 0) {
        centroids[ci * d + j] *= 1 + EPS;
        centroids[cj * d + j] *= 1 - EPS;
      } else {
        centroids[ci * d + j] *= 1 - EPS;
        centroids[cj * d + j] *= 1 + EPS;
      }
    }
    hassign[ci] = hassign[cj] / 2;
    hassign[cj] -= hassign[ci];
    nsplit++;
  }
  return nsplit;
}
