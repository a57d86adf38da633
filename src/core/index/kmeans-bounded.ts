/**
 * Lloyd iterations of kmeans.ts with Hamerly's bounds (Hamerly 2010, "Making k-means even faster"), for
 * training loops that re-run a few hot-started iterations on slowly moving data (OPQ: 50 alternations of a
 * 4-iteration PQ training on the re-rotated vectors).
 *
 * Every point keeps an upper bound u on the distance to its assigned centroid and a lower bound l on the
 * distance to every other centroid. Centroid moves (u += own drift, l -= largest other drift) and data moves
 * (shiftData: u += |dx|, l -= |dx|) keep them valid; a point whose bounds separate keeps its centroid without
 * its k distances being computed. The rest get the full search with kmeans.ts's canonical distances (dot-kernel
 * sums, ||c||^2 - 2 x.c, smallest index on ties), so assignments, centroids and splits equal those of
 * kmeans() with the same start: the bounds carry a rounding margin (1e-10 (||x||^2 + max ||c||^2), far above
 * the float64 error of the distances), so a skipped point's computed nearest centroid is certainly its own.
 * The full search itself screens with float32 products (gemm-f32.ts) and computes the canonical value only for
 * the centroids within the float32 rounding bound of the best (screenedSearch), same result at a third of the cost.
 *
 * Layout: x n x d row-major float32 (the caller's buffer, which may change between calls); centroids k x d.
 */
import { FindableError, throwIfAborted } from '../errors.ts';
import { l2sqr, normsSq } from './distances.ts';
import { canonicalDot, DotKernel } from './dot-kernel.ts';
import { GemmF32 } from './gemm-f32.ts';
import { clusterMeans, splitClusters } from './kmeans.ts';

/** Points searched per kernel call. */
const BLOCK = 64;
/** Rounding margin of a computed squared distance, relative to ||x||^2 + max ||c||^2. */
const MARGIN = 1e-10;

export class BoundedLloyd {
  readonly n: number;
  readonly d: number;
  readonly k: number;
  /** k x d, the current centroids. */
  readonly centroids: Float32Array;
  /** Assigned centroid of each point (valid after assignAll()). */
  readonly assign: Int32Array;
  /** Points that needed the full search in the last assignAll() (for tests and tuning). */
  lastSearched = 0;
  private readonly upper: Float64Array;
  private readonly lower: Float64Array;
  private valid = false;
  private readonly kernel = new DotKernel();
  private readonly gemm: GemmF32 | null;
  private readonly approx: Float32Array;
  private readonly lv: Float64Array;
  private readonly cNorms: Float64Array;
  private readonly xNorms: Float64Array;
  private readonly todo: Int32Array;
  private readonly gather: Float32Array;
  private readonly sums: Float64Array;
  private readonly hassign: Float32Array;
  private readonly old: Float32Array;
  private readonly drift: Float64Array;

  /** opts.screen: false searches with the float64 kernel only (tests compare both). */
  constructor(n: number, d: number, k: number, opts: { screen?: boolean } = {}) {
    if (n <= k) throw new FindableError('INVALID_ARGUMENT', `BoundedLloyd: needs more points (${n}) than centroids`);
    this.n = n;
    this.d = d;
    this.k = k;
    this.centroids = new Float32Array(k * d);
    this.assign = new Int32Array(n);
    this.upper = new Float64Array(n);
    this.lower = new Float64Array(n);
    this.cNorms = new Float64Array(k);
    this.xNorms = new Float64Array(n);
    this.todo = new Int32Array(n);
    this.gather = new Float32Array(BLOCK * d);
    this.sums = new Float64Array(k * d);
    this.hassign = new Float32Array(k);
    this.old = new Float32Array(k * d);
    this.drift = new Float64Array(k);
    // Screening only pays with the WebAssembly kernel (the JS twin rounds every step to float32).
    const gemm = opts.screen !== false && GemmF32.supports(k, d) ? new GemmF32() : null;
    this.gemm = gemm?.wasm ? gemm : null;
    this.approx = new Float32Array(this.gemm ? BLOCK * k : 0);
    this.lv = new Float64Array(k);
  }

  /** New centroids (copied); the bounds are dropped, so the next assignAll() searches every point. */
  setCentroids(c: Float32Array): void {
    this.centroids.set(c.subarray(0, this.k * this.d));
    this.valid = false;
  }

  /** The data moved: point i by at most shift[i] (Euclidean). Loosens the bounds accordingly. */
  shiftData(shift: Float64Array): void {
    if (!this.valid) return;
    const { upper, lower } = this;
    for (let i = 0; i < this.n; i++) {
      upper[i] += shift[i];
      lower[i] -= shift[i];
    }
  }

  /**
   * Nearest centroid of every point of x (n x d) into this.assign, as kmeans.ts's assignment step.
   * sameData: x holds the same values as in the previous call (its norms are reused).
   */
  assignAll(x: Float32Array, signal?: AbortSignal, sameData = false): void {
    const { n, d, k, centroids, assign, upper, lower, cNorms, xNorms, todo } = this;
    normsSq(centroids, k, d, cNorms);
    if (!sameData) normsSq(x, n, d, xNorms);
    let cMax = 0;
    for (let c = 0; c < k; c++) cMax = Math.max(cMax, cNorms[c]);
    let nTodo = 0;
    if (!this.valid) {
      for (let i = 0; i < n; i++) todo[i] = i;
      nTodo = n;
    } else {
      for (let i = 0; i < n; i++) {
        const e2 = 2 * MARGIN * (xNorms[i] + cMax);
        const l = lower[i];
        if (l > 0 && upper[i] * upper[i] + e2 < l * l) continue;
        // Tighten u with the exact distance to the own centroid, then test again.
        const u = Math.sqrt(l2sqr(x, i * d, centroids, assign[i] * d, d) + e2);
        upper[i] = u;
        if (l > 0 && u * u + e2 < l * l) continue;
        todo[nTodo++] = i;
      }
    }
    this.lastSearched = nTodo;
    if (this.gemm !== null) this.screenedSearch(x, nTodo, cMax, signal);
    else this.fullSearch(x, nTodo, cMax, signal);
    this.valid = true;
  }

  /** Points todo[0..nTodo): nearest centroid by the canonical distances of all k centroids. */
  private fullSearch(x: Float32Array, nTodo: number, cMax: number, signal: AbortSignal | undefined): void {
    const { d, k, cNorms, todo, gather: g } = this;
    this.kernel.setY(this.centroids, 0, k, d);
    for (let b0 = 0; b0 < nTodo; b0 += BLOCK) {
      const b1 = Math.min(nTodo, b0 + BLOCK);
      for (let t = b0; t < b1; t++) g.set(x.subarray(todo[t] * d, todo[t] * d + d), (t - b0) * d);
      const dots = this.kernel.dots(g, 0, b1 - b0);
      for (let t = b0; t < b1; t++) {
        const ro = (t - b0) * k;
        let b = Number.POSITIVE_INFINITY;
        let b2 = Number.POSITIVE_INFINITY;
        let bl = 0;
        for (let c = 0; c < k; c++) {
          const v = cNorms[c] - 2 * dots[ro + c];
          if (v < b) {
            b2 = b;
            b = v;
            bl = c;
          } else if (v < b2) {
            b2 = v;
          }
        }
        this.settle(todo[t], bl, b, b2, cMax);
      }
      if ((b0 / BLOCK) % 64 === 63) throwIfAborted(signal);
    }
  }

  /**
   * fullSearch's result at about a third of the cost: float32 dot products (gemm-f32.ts) screen the centroids,
   * and only those within twice their rounding bound of the best get the canonical float64 distance. The
   * bound: a float32 sum of d / 4 + 1 rounded terms (plus two lane additions) is off by at most
   * (d / 4 + 3) 2^-24 sum_j |x_j c_j| <= (d / 4 + 3) 2^-24 ||x|| ||c|| (Higham, gamma_n); doubled for the
   * 2 x.c of the distance and doubled again for safety.
   */
  private screenedSearch(x: Float32Array, nTodo: number, cMax: number, signal: AbortSignal | undefined): void {
    const { d, k, centroids, cNorms, xNorms, todo, gather: g, approx, lv } = this;
    const gemm = this.gemm as GemmF32;
    gemm.setY(centroids, k, d);
    const gamma = ((d / 4 + 3) * 2 ** -24) / (1 - (d / 4 + 3) * 2 ** -24);
    const cMaxNorm = Math.sqrt(cMax);
    for (let b0 = 0; b0 < nTodo; b0 += BLOCK) {
      const b1 = Math.min(nTodo, b0 + BLOCK);
      for (let t = b0; t < b1; t++) g.set(x.subarray(todo[t] * d, todo[t] * d + d), (t - b0) * d);
      gemm.run(g, 0, b1 - b0, approx, 0);
      for (let t = b0; t < b1; t++) {
        const i = todo[t];
        const ro = (t - b0) * k;
        const delta = 4 * gamma * Math.sqrt(xNorms[i]) * cMaxNorm;
        // Approximate values, with the two smallest.
        let a1 = Number.POSITIVE_INFINITY;
        let a2 = Number.POSITIVE_INFINITY;
        let c1 = 0;
        for (let c = 0; c < k; c++) {
          const v = cNorms[c] - 2 * approx[ro + c];
          lv[c] = v;
          if (v < a1) {
            a2 = a1;
            a1 = v;
            c1 = c;
          } else if (v < a2) {
            a2 = v;
          }
        }
        let b: number;
        let b2: number;
        let bl: number;
        if (a2 > a1 + 2 * delta) {
          // One candidate: it is the canonical nearest; bounds from the approximate values.
          bl = c1;
          b = a1 + delta;
          b2 = a2 - delta;
        } else {
          // Candidates get the canonical value (dot-kernel.ts's even / odd sums); the others a lower bound.
          const cut = a1 + 2 * delta;
          b = Number.POSITIVE_INFINITY;
          b2 = Number.POSITIVE_INFINITY;
          bl = 0;
          const xo = (t - b0) * d;
          for (let c = 0; c < k; c++) {
            let v = lv[c];
            if (v > cut) {
              v -= delta;
            } else {
              v = cNorms[c] - 2 * canonicalDot(g, xo, centroids, c * d, d);
              if (v < b) {
                b2 = b;
                b = v;
                bl = c;
                continue;
              }
            }
            if (v < b2) b2 = v;
          }
        }
        this.settle(i, bl, b, b2, cMax);
      }
      if ((b0 / BLOCK) % 64 === 63) throwIfAborted(signal);
    }
  }

  /**
   * Point i's search result: nearest centroid bl at ||c||^2 - 2 x.c = b, second b2; the bounds get the
   * rounding margin (u up, l down).
   */
  private settle(i: number, bl: number, b: number, b2: number, cMax: number): void {
    const xn = this.xNorms[i];
    const e = MARGIN * (xn + cMax);
    this.assign[i] = bl;
    this.upper[i] = Math.sqrt(Math.max(0, xn + b + e));
    this.lower[i] = Math.sqrt(Math.max(0, xn + b2 - e));
  }

  /**
   * kmeans.ts's update step after assignAll(): centroids = means of their points (float64 sums, empty
   * clusters split by splitClusters), then the bounds follow the centroid drifts. Returns the number of splits.
   */
  update(x: Float32Array): number {
    const { n, d, k, centroids, assign, sums, hassign, old, drift, upper, lower } = this;
    old.set(centroids);
    clusterMeans(x, n, d, k, assign, sums, hassign, centroids);
    const nsplit = splitClusters(d, k, n, hassign, centroids);
    // Drifts, slightly inflated against the rounding of their own computation; the two largest for l.
    let m1 = 0;
    let m2 = 0;
    let c1 = -1;
    for (let c = 0; c < k; c++) {
      const t = Math.sqrt(l2sqr(old, c * d, centroids, c * d, d)) * (1 + 1e-12);
      drift[c] = t;
      if (t > m1) {
        m2 = m1;
        m1 = t;
        c1 = c;
      } else if (t > m2) {
        m2 = t;
      }
    }
    for (let i = 0; i < n; i++) {
      const a = assign[i];
      upper[i] += drift[a];
      lower[i] -= a === c1 ? m2 : m1;
    }
    return nsplit;
  }
}
