/**
 * C = X Y^T in float32 (faiss's sgemm for OPQ's xproj = X A^T): X nx x d and Y ny x d row-major float32, C
 * nx x ny. One WebAssembly f32x4 kernel, 2 rows of X against 4 rows of Y per tile (8 accumulators), about
 * twice the float64 dot kernel (dot-kernel.ts) on 7,500 x 512 x 512.
 *
 * Canonical value (both paths, bit-identical): lane l (0..3) sums x_j y_j over j = l mod 4 in float32, in
 * ascending j; C = (lane0 + lane1) + (lane2 + lane3) in float32. The JS path (no WebAssembly SIMD, or
 * `wasm: false`) computes it with Math.fround at every step. Needs d % 4 == 0 (callers fall back otherwise).
 *
 * Wasm layout: [Y (ny x d)][X (nx rounded up to even, x d)][C (float32)].
 */
import {
  ADD,
  align16,
  assemble,
  BLOCK_LOOP,
  BREAK_IF,
  compileOnce,
  END_LOOP,
  F32_ADD,
  F32_STORE,
  F32X4_ADD,
  F32X4_LANE,
  F32X4_MUL,
  GE_U,
  get,
  I32,
  i32,
  MUL,
  SHL,
  set,
  V128,
  V128_LOAD,
  V128_ZERO,
  WasmArena,
  type WasmFunction,
  wasmKernelsEnabled,
} from './wasm-asm.ts';

/** gemm(x, nx, y, ny, d, out): nx even, ny % 4 == 0, d % 4 == 0; byte pointers. */
function gemmFunction(): WasmFunction {
  const [X, NX, Y, NY, D, OUT] = [0, 1, 2, 3, 4, 5];
  const [I, J, P, X0, X1, Y0, STRIDE, O, OROW] = [6, 7, 8, 9, 10, 11, 12, 13, 14];
  const ACC = 15; // 8 v128 accumulators: 15..22 (row 0: 15..18, row 1: 19..22)
  const XV0 = 23;
  const XV1 = 24;
  const T = 25;
  const code: number[] = [];
  code.push(...get(D), ...i32(2), SHL, ...set(STRIDE));
  code.push(...get(OUT), ...set(OROW), ...get(X), ...set(X0), ...i32(0), ...set(I));
  code.push(...BLOCK_LOOP, ...get(I), ...get(NX), GE_U, ...BREAK_IF);
  code.push(...get(X0), ...get(STRIDE), ADD, ...set(X1), ...get(OROW), ...set(O));
  code.push(...get(Y), ...set(Y0), ...i32(0), ...set(J));
  code.push(...BLOCK_LOOP, ...get(J), ...get(NY), GE_U, ...BREAK_IF);
  for (let r = 0; r < 8; r++) code.push(...V128_ZERO, ...set(ACC + r));
  code.push(...i32(0), ...set(P));
  code.push(...BLOCK_LOOP, ...get(P), ...get(STRIDE), GE_U, ...BREAK_IF);
  code.push(...get(X0), ...get(P), ADD, ...V128_LOAD(0), ...set(XV0));
  code.push(...get(X1), ...get(P), ADD, ...V128_LOAD(0), ...set(XV1));
  for (let r = 0; r < 4; r++) {
    // y row r of the quad: Y0 + r * stride + p.
    code.push(...get(Y0), ...get(P), ADD);
    for (let k = 0; k < r; k++) code.push(...get(STRIDE), ADD);
    code.push(...V128_LOAD(0), ...set(T));
    code.push(...get(XV0), ...get(T), ...F32X4_MUL, ...get(ACC + r), ...F32X4_ADD, ...set(ACC + r));
    code.push(...get(XV1), ...get(T), ...F32X4_MUL, ...get(ACC + 4 + r), ...F32X4_ADD, ...set(ACC + 4 + r));
  }
  code.push(...get(P), ...i32(16), ADD, ...set(P), ...END_LOOP);
  // Stores: row 0 at O, row 1 at O + ny * 4.
  for (let r = 0; r < 8; r++) {
    const a = ACC + r;
    code.push(...get(O));
    if (r >= 4) code.push(...get(NY), ...i32(2), SHL, ADD);
    code.push(...get(a), ...F32X4_LANE(0), ...get(a), ...F32X4_LANE(1), F32_ADD);
    code.push(...get(a), ...F32X4_LANE(2), ...get(a), ...F32X4_LANE(3), F32_ADD, F32_ADD);
    code.push(...F32_STORE(4 * (r % 4)));
  }
  code.push(...get(O), ...i32(16), ADD, ...set(O));
  code.push(...get(Y0), ...get(STRIDE), ...i32(4), MUL, ADD, ...set(Y0));
  code.push(...get(J), ...i32(4), ADD, ...set(J), ...END_LOOP);
  // Next pair of x rows.
  code.push(...get(X1), ...get(STRIDE), ADD, ...set(X0));
  code.push(...get(OROW), ...get(NY), ...i32(3), SHL, ADD, ...set(OROW));
  code.push(...get(I), ...i32(2), ADD, ...set(I), ...END_LOOP);
  return {
    name: 'gemm',
    params: 6,
    locals: [
      [9, I32],
      [11, V128],
    ],
    code,
  };
}

const wasmModule = compileOnce(() => assemble([gemmFunction()]));

type GemmFn = (x: number, nx: number, y: number, ny: number, d: number, out: number) => void;

/** A resident Y (ny x d) and a work space; products of blocks of X rows with it. Not re-entrant. */
export class GemmF32 {
  readonly wasm: boolean;
  private readonly arena: WasmArena | null = null;
  private readonly fn: GemmFn | null = null;
  private ny = 0;
  private d = 0;
  private xOff = 0;
  private xCap = 0;
  private outOff = 0;
  private yJs = new Float32Array(0);

  constructor(opts: { wasm?: boolean } = {}) {
    const mod = opts.wasm === false || !wasmKernelsEnabled() ? null : wasmModule();
    this.wasm = mod !== null;
    if (mod !== null) {
      this.arena = new WasmArena();
      this.fn = this.arena.instantiate(mod).gemm as GemmFn;
    }
  }

  /** Whether (ny, d) suit the kernel: d % 4 == 0 and ny % 4 == 0. */
  static supports(ny: number, d: number): boolean {
    return d % 4 === 0 && ny % 4 === 0 && d > 0 && ny > 0;
  }

  /** Copies y (ny x d) in as the resident matrix. */
  setY(y: Float32Array, ny: number, d: number): void {
    if (!GemmF32.supports(ny, d)) throw new RangeError(`GemmF32: needs d and ny multiples of 4 (${ny} x ${d})`);
    this.ny = ny;
    this.d = d;
    if (this.arena !== null) {
      this.xOff = align16(ny * d * 4);
      this.xCap = 0;
      this.arena.reserve(this.xOff);
      this.arena.f32.set(y.subarray(0, ny * d), 0);
    } else {
      this.yJs = y.slice(0, ny * d);
    }
  }

  /** out[(oo + i) * ny + j] = x_(xo + i) . y_j (canonical float32 value) for i < nx. */
  run(x: Float32Array, xo: number, nx: number, out: Float32Array, oo: number): void {
    const { ny, d } = this;
    const arena = this.arena;
    if (arena !== null && this.fn !== null) {
      const nx2 = nx + (nx & 1);
      if (nx2 > this.xCap) {
        this.xCap = nx2;
        this.outOff = align16(this.xOff + nx2 * d * 4);
        arena.reserve(this.outOff + nx2 * ny * 4);
      }
      const f32 = arena.f32;
      f32.set(x.subarray(xo * d, (xo + nx) * d), this.xOff >> 2);
      if (nx2 > nx) f32.fill(0, (this.xOff >> 2) + nx * d, (this.xOff >> 2) + nx2 * d);
      this.fn(this.xOff, nx2, 0, ny, d, this.outOff);
      out.set(f32.subarray(this.outOff >> 2, (this.outOff >> 2) + nx * ny), oo * ny);
      return;
    }
    const y = this.yJs;
    const f = Math.fround;
    for (let i = 0; i < nx; i++) {
      const xr = (xo + i) * d;
      for (let j = 0; j < ny; j++) {
        const yr = j * d;
        let l0 = 0;
        let l1 = 0;
        let l2 = 0;
        let l3 = 0;
        for (let p = 0; p < d; p += 4) {
          l0 = f(l0 + f(x[xr + p] * y[yr + p]));
          l1 = f(l1 + f(x[xr + p + 1] * y[yr + p + 1]));
          l2 = f(l2 + f(x[xr + p + 2] * y[yr + p + 2]));
          l3 = f(l3 + f(x[xr + p + 3] * y[yr + p + 3]));
        }
        out[(oo + i) * ny + j] = f(f(l0 + l1) + f(l2 + l3));
      }
    }
  }
}
