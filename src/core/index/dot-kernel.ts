/**
 * Dot products (and squared L2 distances) of float32 rows, summed in float64: the inner kernel of every L2
 * search and assignment (coarse quantizer, k-means, PQ encoding and distance tables, IndexFlat).
 *
 * Two tiny WebAssembly SIMD functions do the work: they are assembled from their instruction lists (wasm-asm.ts;
 * no toolchain, under 1 KiB, compiled synchronously) and run 4-6x faster than the best plain-JS loop (bounds
 * checks and scalar float64 in V8; measured on the coarse search, 1024 x 128). Where WebAssembly SIMD is
 * missing (or `wasm: false`), a JS loop computes the very same values.
 *
 * Canonical values (both paths, bit-identical): x . y = E + O with E = sum of x_j y_j over even j and O over odd
 * j, each accumulated in float64 in ascending j; ||x - y||^2 likewise with (x_j - y_j)^2 terms. Products of two
 * float32 values are exact in float64, so only the additions round (~1e-16 relative).
 *
 * Wasm layout (one linear memory per kernel): [Y rows (float32, ny x d)][X rows (float32)][out (float64)].
 * Y is resident (setY) so repeated queries against the same matrix (a coarse quantizer) copy only the query.
 */

import {
  ADD,
  align16,
  assemble,
  BLOCK_LOOP,
  BREAK_IF,
  compileOnce,
  END_LOOP,
  F64_ADD,
  F64_STORE,
  F64X2_ADD,
  F64X2_LANE,
  F64X2_MUL,
  F64X2_SUB,
  GE_U,
  GT_U,
  get,
  I32,
  i32,
  LOAD2_F32_AS_F64,
  MUL,
  SHL,
  set,
  tee,
  V128,
  V128_ZERO,
  WasmArena,
  type WasmFunction,
  wasmKernelsEnabled,
} from './wasm-asm.ts';

/** Rows of y handled together per query (8 float64x2 accumulators: each x load feeds 8 multiply-adds). */
const R = 8;

/**
 * dots(x, nx, y, ny, d, out): out[i * ny + c] = x_i . y_c (canonical order), x and y float32 row-major with
 * row length d (even), out float64; l2sq likewise with ||x_i - y_c||^2. Pointers are byte offsets.
 */
function rowsFunction(kind: 'dots' | 'l2sq'): WasmFunction {
  // Parameters 0..5: x, nx, y, ny, d, out. i32 locals: 6 i, 7 c, 8 p (byte offset in the row), 9 xrow,
  // 10 stride (d * 4), 11 o (output pointer), 12..19 the R row pointers of y. v128 locals: 20..27
  // accumulators, 28 x, 29 difference (l2sq).
  const [X, NX, Y, NY, D, OUT, I, C, P, XROW, STRIDE, O] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
  const YR = 12;
  const ACC = YR + R;
  const XV = ACC + R;
  const T = XV + 1;
  /** acc += term(x, y) with x in XV and y's address on the stack. */
  const accumulate = (acc: number) =>
    kind === 'dots'
      ? [...LOAD2_F32_AS_F64(0), ...get(XV), ...F64X2_MUL, ...get(acc), ...F64X2_ADD, ...set(acc)]
      : [
          ...LOAD2_F32_AS_F64(0),
          ...set(T),
          ...get(XV),
          ...get(T),
          ...F64X2_SUB,
          ...tee(T),
          ...get(T),
          ...F64X2_MUL,
          ...get(acc),
          ...F64X2_ADD,
          ...set(acc),
        ];
  const code: number[] = [];
  code.push(...get(D), ...i32(2), SHL, ...set(STRIDE));
  code.push(...get(OUT), ...set(O), ...get(X), ...set(XROW), ...i32(0), ...set(I));
  code.push(...BLOCK_LOOP, ...get(I), ...get(NX), GE_U, ...BREAK_IF); // for each query row
  code.push(...i32(0), ...set(C));
  // Blocks of R rows of y.
  code.push(...BLOCK_LOOP, ...get(C), ...i32(R), ADD, ...get(NY), GT_U, ...BREAK_IF);
  code.push(...get(Y), ...get(C), ...get(STRIDE), MUL, ADD, ...set(YR));
  for (let r = 1; r < R; r++) code.push(...get(YR + r - 1), ...get(STRIDE), ADD, ...set(YR + r));
  for (let r = 0; r < R; r++) code.push(...V128_ZERO, ...set(ACC + r));
  code.push(...i32(0), ...set(P));
  code.push(...BLOCK_LOOP, ...get(P), ...get(STRIDE), GE_U, ...BREAK_IF);
  code.push(...get(XROW), ...get(P), ADD, ...LOAD2_F32_AS_F64(0), ...set(XV));
  for (let r = 0; r < R; r++) code.push(...get(YR + r), ...get(P), ADD, ...accumulate(ACC + r));
  code.push(...get(P), ...i32(8), ADD, ...set(P), ...END_LOOP);
  for (let r = 0; r < R; r++) {
    code.push(...get(O), ...get(ACC + r), ...F64X2_LANE(0), ...get(ACC + r), ...F64X2_LANE(1), F64_ADD);
    code.push(...F64_STORE(8 * r));
  }
  code.push(...get(O), ...i32(8 * R), ADD, ...set(O), ...get(C), ...i32(R), ADD, ...set(C), ...END_LOOP);
  // Remaining rows of y, one at a time.
  code.push(...BLOCK_LOOP, ...get(C), ...get(NY), GE_U, ...BREAK_IF);
  code.push(
    ...get(Y),
    ...get(C),
    ...get(STRIDE),
    MUL,
    ADD,
    ...set(YR),
    ...V128_ZERO,
    ...set(ACC),
    ...i32(0),
    ...set(P),
  );
  code.push(...BLOCK_LOOP, ...get(P), ...get(STRIDE), GE_U, ...BREAK_IF);
  code.push(...get(XROW), ...get(P), ADD, ...LOAD2_F32_AS_F64(0), ...set(XV));
  code.push(...get(YR), ...get(P), ADD, ...accumulate(ACC));
  code.push(...get(P), ...i32(8), ADD, ...set(P), ...END_LOOP);
  code.push(...get(O), ...get(ACC), ...F64X2_LANE(0), ...get(ACC), ...F64X2_LANE(1), F64_ADD, ...F64_STORE(0));
  code.push(...get(O), ...i32(8), ADD, ...set(O), ...get(C), ...i32(1), ADD, ...set(C), ...END_LOOP);
  // Next query row.
  code.push(...get(XROW), ...get(STRIDE), ADD, ...set(XROW), ...get(I), ...i32(1), ADD, ...set(I), ...END_LOOP);
  return {
    name: kind,
    params: 6,
    locals: [
      [6 + R, I32],
      [R + 2, V128],
    ],
    code,
  };
}

const wasmModule = compileOnce(() => assemble([rowsFunction('dots'), rowsFunction('l2sq')]));

/** Whether the WebAssembly SIMD kernels are available in this runtime. */
export function wasmKernelsAvailable(): boolean {
  return wasmModule() !== null;
}

type RowsFn = (x: number, nx: number, y: number, ny: number, d: number, out: number) => void;

export interface DotKernelOptions {
  /** Use the WebAssembly kernel when available (default true); false forces the JS loop (tests). */
  wasm?: boolean;
}

/**
 * A resident matrix Y (ny x d) and a work space for products of query rows with it. Not re-entrant; one per
 * owner (an index, a product quantizer, or the shared instance of distances.ts).
 */
export class DotKernel {
  /** Whether this kernel runs the WebAssembly code. */
  readonly wasm: boolean;
  private ny = 0;
  private d = 0;
  // Wasm state: Y at 0, X at xOff, out at outOff.
  private readonly arena: WasmArena | null = null;
  private readonly dotsFn: RowsFn | null = null;
  private readonly l2Fn: RowsFn | null = null;
  private xOff = 0;
  private xCap = 0;
  private outOff = 0;
  private outCap = 0;
  // JS state.
  private yCopy: Float32Array = new Float32Array(0);
  private outJs: Float64Array = new Float64Array(0);

  constructor(opts: DotKernelOptions = {}) {
    const mod = opts.wasm === false || !wasmKernelsEnabled() ? null : wasmModule();
    this.wasm = mod !== null;
    if (mod !== null) {
      this.arena = new WasmArena();
      const exports = this.arena.instantiate(mod);
      this.dotsFn = exports.dots as RowsFn;
      this.l2Fn = exports.l2sq as RowsFn;
    }
  }

  /** Rows of the resident matrix. */
  get rows(): number {
    return this.ny;
  }

  /** Bytes held by the kernel (its linear memory, or the JS copies). */
  get bytes(): number {
    return this.arena ? this.arena.bytes : this.yCopy.byteLength + this.outJs.byteLength;
  }

  /** Whether the wasm code serves the current matrix (it needs an even row length). */
  private get useWasm(): boolean {
    return this.arena !== null && this.d % 2 === 0;
  }

  /** Copies y[yo .. yo + ny * d) as the resident matrix. */
  setY(y: Float32Array, yo: number, ny: number, d: number): void {
    this.ny = ny;
    this.d = d;
    const src = y.subarray(yo, yo + ny * d);
    if (this.arena !== null && this.useWasm) {
      // Y at 0; X and out after it, sized by run().
      this.xOff = align16(ny * d * 4);
      this.xCap = 0;
      this.outCap = 0;
      this.arena.reserve(this.xOff);
      this.arena.f32.set(src, 0);
      return;
    }
    if (this.yCopy.length < src.length) this.yCopy = new Float32Array(src.length);
    this.yCopy.set(src);
  }

  /**
   * out[i * (c1 - c0) + (c - c0)] = x_i . y_c for the nx query rows at x[xo..] and resident rows c in [c0, c1).
   * The returned view is valid until the next call on this kernel.
   */
  dots(x: Float32Array, xo: number, nx: number, c0 = 0, c1 = this.ny): Float64Array {
    return this.run(this.dotsFn, false, x, xo, nx, c0, c1);
  }

  /** Like dots, with ||x_i - y_c||^2. */
  l2sq(x: Float32Array, xo: number, nx: number, c0 = 0, c1 = this.ny): Float64Array {
    return this.run(this.l2Fn, true, x, xo, nx, c0, c1);
  }

  private run(
    fn: RowsFn | null,
    l2: boolean,
    x: Float32Array,
    xo: number,
    nx: number,
    c0: number,
    c1: number,
  ): Float64Array {
    const { d } = this;
    const nc = c1 - c0;
    const arena = this.arena;
    if (arena !== null && fn !== null && this.useWasm) {
      if (nx > this.xCap || nx * nc > this.outCap) {
        this.xCap = Math.max(nx, this.xCap);
        this.outCap = Math.max(nx * nc, this.outCap);
        this.outOff = align16(this.xOff + this.xCap * d * 4);
        arena.reserve(this.outOff + this.outCap * 8);
      }
      arena.f32.set(x.subarray(xo, xo + nx * d), this.xOff >> 2);
      fn(this.xOff, nx, c0 * d * 4, nc, d, this.outOff);
      return arena.f64.subarray(this.outOff >> 3, (this.outOff >> 3) + nx * nc);
    }
    if (this.outJs.length < nx * nc) this.outJs = new Float64Array(nx * nc);
    const out = this.outJs;
    if (l2) l2Js(x, xo, nx, this.yCopy, c0, c1, d, out);
    else dotsJs(x, xo, nx, this.yCopy, c0, c1, d, out);
    return out.subarray(0, nx * nc);
  }
}

// The JS paths: same canonical order as the kernel (even / odd j partial sums, E + O).

function dotsJs(
  x: Float32Array,
  xo: number,
  nx: number,
  y: Float32Array,
  c0: number,
  c1: number,
  d: number,
  out: Float64Array,
): void {
  const nc = c1 - c0;
  const dEven = d - (d & 1);
  for (let i = 0; i < nx; i++) {
    const xi = xo + i * d;
    const ro = i * nc - c0;
    let c = c0;
    // Four rows at a time (each x load feeds four rows; ~1.3x faster than one row at a time).
    for (; c + 3 < c1; c += 4) {
      const y0 = c * d;
      const y1 = y0 + d;
      const y2 = y1 + d;
      const y3 = y2 + d;
      let e0 = 0;
      let o0 = 0;
      let e1 = 0;
      let o1 = 0;
      let e2 = 0;
      let o2 = 0;
      let e3 = 0;
      let o3 = 0;
      for (let j = 0; j < dEven; j += 2) {
        const a = x[xi + j];
        const b = x[xi + j + 1];
        e0 += a * y[y0 + j];
        o0 += b * y[y0 + j + 1];
        e1 += a * y[y1 + j];
        o1 += b * y[y1 + j + 1];
        e2 += a * y[y2 + j];
        o2 += b * y[y2 + j + 1];
        e3 += a * y[y3 + j];
        o3 += b * y[y3 + j + 1];
      }
      if (dEven < d) {
        const a = x[xi + dEven];
        e0 += a * y[y0 + dEven];
        e1 += a * y[y1 + dEven];
        e2 += a * y[y2 + dEven];
        e3 += a * y[y3 + dEven];
      }
      out[ro + c] = e0 + o0;
      out[ro + c + 1] = e1 + o1;
      out[ro + c + 2] = e2 + o2;
      out[ro + c + 3] = e3 + o3;
    }
    for (; c < c1; c++) out[ro + c] = canonicalDot(x, xi, y, c * d, d);
  }
}

function l2Js(
  x: Float32Array,
  xo: number,
  nx: number,
  y: Float32Array,
  c0: number,
  c1: number,
  d: number,
  out: Float64Array,
): void {
  const nc = c1 - c0;
  const dEven = d - (d & 1);
  for (let i = 0; i < nx; i++) {
    const xi = xo + i * d;
    for (let c = c0; c < c1; c++) {
      const yc = c * d;
      let e = 0;
      let o = 0;
      for (let j = 0; j < dEven; j += 2) {
        const a = x[xi + j] - y[yc + j];
        const b = x[xi + j + 1] - y[yc + j + 1];
        e += a * a;
        o += b * b;
      }
      if (dEven < d) {
        const a = x[xi + dEven] - y[yc + dEven];
        e += a * a;
      }
      out[i * nc + c - c0] = e + o;
    }
  }
}

/** x[xo..xo+d) . y[yo..yo+d) with the canonical summation of this file's header (even / odd float64 sums). */
export function canonicalDot(x: Float32Array, xo: number, y: Float32Array, yo: number, d: number): number {
  const dEven = d - (d & 1);
  let e = 0;
  let o = 0;
  for (let j = 0; j < dEven; j += 2) {
    e += x[xo + j] * y[yo + j];
    o += x[xo + j + 1] * y[yo + j + 1];
  }
  if (dEven < d) e += x[xo + dEven] * y[yo + dEven];
  return e + o;
}
