/**
 * Hot L2 kernels shared by k-means, the coarse quantizer, the product quantizer and IndexFlat.
 *
 * Distances use ||x - y||^2 = ||x||^2 - 2 x.y + ||y||^2 (faiss's BLAS path), computed in float64 from
 * float32 storage, clamped at 0. In float64 the cancellation error is ~1e-16 ||x||^2, far below faiss's own
 * float32 rounding, so results equal exact distances for every practical purpose. The dot products come from
 * dot-kernel.ts (WebAssembly SIMD, or its bit-identical JS loop), a block of y rows at a time (the block stays in
 * cache while a block of queries passes over it); norms are summed in ascending j. Summation order is fixed, so
 * results are bit-identical on every engine.
 */
import { DotKernel } from './dot-kernel.ts';
import type { ResultHeap } from './result-heap.ts';
import { wasmKernelsEnabled } from './wasm-asm.ts';

/** Squared norms of n rows (n x d), float64. */
export function normsSq(x: Float32Array, n: number, d: number, out: Float64Array = new Float64Array(n)): Float64Array {
  for (let i = 0; i < n; i++) {
    const o = i * d;
    let s = 0;
    for (let j = 0; j < d; j++) {
      const v = x[o + j];
      s += v * v;
    }
    out[i] = s;
  }
  return out;
}

/** Exact ||x[xo..xo+d) - y[yo..yo+d)||^2 in float64 by differences (used where a single distance is needed). */
export function l2sqr(x: ArrayLike<number>, xo: number, y: ArrayLike<number>, yo: number, d: number): number {
  let s = 0;
  for (let j = 0; j < d; j++) {
    const t = x[xo + j] - y[yo + j];
    s += t * t;
  }
  return s;
}

/** Rows of y kept hot together; 256 rows x 128 dims x 4 bytes = 128 KiB. */
const BLOCK_Y = 256;
/** Queries handled per pass over a y block. */
const BLOCK_X = 64;
/**
 * Largest y (float32 values) the shared kernel copies whole per call; a larger y (an IndexFlat's database) is
 * copied block by block, once per block of queries. 2^21 values = 8 MiB (4096 x 512 centroids).
 */
const RESIDENT_MAX = 1 << 21;

let sharedKernel: DotKernel | null = null;
let sharedKernelWasm = true;
let xNormScratch = new Float64Array(0);

/** Squared norms of the query rows into a reused buffer (valid until the next call). */
function queryNorms(x: Float32Array, nx: number, d: number): Float64Array {
  if (xNormScratch.length < nx) xNormScratch = new Float64Array(Math.max(nx, 64));
  return normsSq(x, nx, d, xNormScratch);
}

/**
 * Calls visit(i0, i1, c0, c1, dots) for blocks of queries [i0, i1) and y rows [c0, c1), c ascending within each
 * query block, with dots[(i - i0) * (c1 - c0) + (c - c0)] = x_i . y_c. `kernel`, when given, already holds y.
 */
function forDotBlocks(
  x: Float32Array,
  nx: number,
  y: Float32Array,
  ny: number,
  d: number,
  kernel: DotKernel | undefined,
  visit: (i0: number, i1: number, c0: number, c1: number, dots: Float64Array) => void,
): void {
  // Single-threaded and never re-entered (visit callbacks only read the block), so one shared work space.
  if (sharedKernel === null || sharedKernelWasm !== wasmKernelsEnabled()) {
    sharedKernel = new DotKernel();
    sharedKernelWasm = wasmKernelsEnabled();
  }
  const k = kernel ?? sharedKernel;
  const resident = kernel !== undefined || ny * d <= RESIDENT_MAX;
  if (kernel === undefined && resident) k.setY(y, 0, ny, d);
  // With few queries there is nothing to reuse from cache: one pass over all of y.
  const blockY = nx <= 8 && resident ? ny : BLOCK_Y;
  for (let i0 = 0; i0 < nx; i0 += BLOCK_X) {
    const i1 = Math.min(nx, i0 + BLOCK_X);
    for (let c0 = 0; c0 < ny; c0 += blockY) {
      const c1 = Math.min(ny, c0 + blockY);
      let dots: Float64Array;
      if (resident) {
        dots = k.dots(x, i0 * d, i1 - i0, c0, c1);
      } else {
        k.setY(y, c0 * d, c1 - c0, d);
        dots = k.dots(x, i0 * d, i1 - i0);
      }
      visit(i0, i1, c0, c1, dots);
    }
  }
}

/**
 * Nearest row of y (ny x d) for each row of x (nx x d): labels[i] = argmin_c ||x_i - y_c||^2 (smallest c on
 * ties) and dist[i] = that squared distance. yNorms may be passed to avoid recomputing them; `kernel`, a
 * DotKernel already holding y (an index's resident centroids), avoids copying y.
 */
export function assignNearest(
  x: Float32Array,
  nx: number,
  y: Float32Array,
  ny: number,
  d: number,
  labels: Int32Array,
  dist: Float32Array | Float64Array,
  yNorms: Float64Array = normsSq(y, ny, d),
  kernel?: DotKernel,
): void {
  const xNorms = queryNorms(x, nx, d);
  const best = new Float64Array(Math.min(nx, BLOCK_X));
  forDotBlocks(x, nx, y, ny, d, kernel, (i0, i1, c0, c1, dots) => {
    if (c0 === 0) best.fill(Number.POSITIVE_INFINITY);
    const nc = c1 - c0;
    // ||x||^2 is constant per query, so compare ||y||^2 - 2 x.y and add ||x||^2 back at the end. Candidates
    // come in ascending c with strict <, so ties keep the smallest index.
    for (let i = i0; i < i1; i++) {
      const ro = (i - i0) * nc - c0;
      let b = best[i - i0];
      let bl = labels[i];
      for (let c = c0; c < c1; c++) {
        const t = yNorms[c] - 2 * dots[ro + c];
        if (t < b) {
          b = t;
          bl = c;
        }
      }
      best[i - i0] = b;
      labels[i] = bl;
      if (c1 === ny) dist[i] = Math.max(0, xNorms[i] + b);
    }
  });
}

/**
 * k nearest rows of y for each row of x into heaps (one per query, already reset by the caller or fresh).
 * ids maps y rows to stored ids (row number if absent); `kernel` as in assignNearest.
 */
export function knnIntoHeaps(
  x: Float32Array,
  nx: number,
  y: Float32Array,
  ny: number,
  d: number,
  heaps: ResultHeap[],
  ids?: Float64Array,
  yNorms: Float64Array = normsSq(y, ny, d),
  kernel?: DotKernel,
): void {
  const xNorms = queryNorms(x, nx, d);
  forDotBlocks(x, nx, y, ny, d, kernel, (i0, i1, c0, c1, dots) => {
    const nc = c1 - c0;
    for (let i = i0; i < i1; i++) {
      const heap = heaps[i];
      const xn = xNorms[i];
      const ro = (i - i0) * nc - c0;
      let worst = heap.worstDistance();
      for (let c = c0; c < c1; c++) {
        const v = Math.max(0, xn + yNorms[c] - 2 * dots[ro + c]);
        if (v <= worst) {
          heap.push(v, ids ? ids[c] : c);
          worst = heap.worstDistance();
        }
      }
    }
  });
}
