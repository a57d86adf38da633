/**
 * Float64 vector kernels for the dense linear algebra of linalg.ts (the SVD's Householder and Givens updates):
 * dot, axpy and plane rotation on rows that live in one WebAssembly memory, in f64x2 SIMD (about 2x the plain
 * JS loops at n = 512). Where WebAssembly SIMD is missing (or switched off), JS loops do the same work.
 *
 * Both paths give the same bits: no fused multiply-add, and dot sums even and odd terms separately (the two
 * lanes), then adds them and the odd last term, in the JS loop too.
 *
 * Arrays passed in must be views of this.heap (the kernel's memory), taken after the last reserve().
 */
import {
  ADD,
  assemble,
  BLOCK_LOOP,
  BREAK_IF,
  compileOnce,
  END_LOOP,
  F64,
  F64_ADD,
  F64_LOAD,
  F64_MUL,
  F64_NEG,
  F64_STORE,
  F64X2_ADD,
  F64X2_LANE,
  F64X2_MUL,
  F64X2_SPLAT,
  GE_U,
  get,
  I32,
  I32_AND,
  i32,
  SHL,
  set,
  tee,
  V128,
  V128_LOAD,
  V128_STORE,
  V128_ZERO,
  WasmArena,
  type WasmFunction,
  wasmKernelsEnabled,
} from './wasm-asm.ts';

/** Scalar arguments (t, cs, sn) and the dot result go through the first 32 bytes of the memory. */
const SCRATCH = 32;

// Parameters (all i32): 0 p, 1 q, 2 len (elements). Locals: 3 end of the pairs, 4 end, then f64 / v128 ones.
const P = 0;
const Q = 1;
const LEN = 2;
const END2 = 3;
const END = 4;
/** END2 = p + (len & ~1) * 8, END = p + len * 8. */
const ends = [
  ...get(P),
  ...get(LEN),
  ...i32(0x7ffffffe),
  I32_AND,
  ...i32(3),
  SHL,
  ADD,
  ...set(END2),
  ...get(P),
  ...get(LEN),
  ...i32(3),
  SHL,
  ADD,
  ...set(END),
];
const step = (bytes: number) => [...get(P), ...i32(bytes), ADD, ...set(P), ...get(Q), ...i32(bytes), ADD, ...set(Q)];

/** The ops of one loop width: two f64 lanes per v128 up to END2, then one f64 at a time up to END. */
interface Width {
  end: number;
  bytes: number;
  load: number[];
  store: number[];
  mul: number[];
  add: number[];
}
const PAIRS: Width = { end: END2, bytes: 16, load: V128_LOAD(0), store: V128_STORE(0), mul: F64X2_MUL, add: F64X2_ADD };
const SINGLES: Width = { end: END, bytes: 8, load: F64_LOAD(0), store: F64_STORE(0), mul: [F64_MUL], add: [F64_ADD] };

/**
 * while (p < END2) { body(pairs); p += 16; q += 16 } then `between`, then while (p < END) { body(single); ... }:
 * one body for both widths keeps the two loops' arithmetic (and so their rounding) the same.
 */
function pairsThenSingle(body: (w: Width, single: boolean) => number[], between: number[] = []): number[] {
  const loop = (w: Width) => [
    ...BLOCK_LOOP,
    ...get(P),
    ...get(w.end),
    GE_U,
    ...BREAK_IF,
    ...body(w, w === SINGLES),
    ...step(w.bytes),
    ...END_LOOP,
  ];
  return [...loop(PAIRS), ...between, ...loop(SINGLES)];
}

/** Locals of dot and axpy after (p, q, len): END2, END (i32), one v128, one f64. */
const ONE_VECTOR_ONE_SCALAR: [number, number][] = [
  [2, I32],
  [1, V128],
  [1, F64],
];

/** *(f64*)0 = sum_i p[i] q[i]. Locals: 5 acc (v128), 6 s (f64). */
function dotFunction(): WasmFunction {
  const ACC = 5;
  const S = 6;
  const code = [
    ...ends,
    ...V128_ZERO,
    ...set(ACC),
    ...pairsThenSingle(
      (w, single) => {
        const acc = single ? S : ACC;
        return [...get(acc), ...get(P), ...w.load, ...get(Q), ...w.load, ...w.mul, ...w.add, ...set(acc)];
      },
      [...get(ACC), ...F64X2_LANE(0), ...get(ACC), ...F64X2_LANE(1), F64_ADD, ...set(S)],
    ),
    ...i32(0),
    ...get(S),
    ...F64_STORE(0),
  ];
  return { name: 'dot', params: 3, locals: ONE_VECTOR_ONE_SCALAR, code };
}

/** q[i] += t p[i] with t = *(f64*)0. Locals: 5 tv (v128), 6 t (f64). */
function axpyFunction(): WasmFunction {
  const TV = 5;
  const T = 6;
  const code = [
    ...ends,
    ...i32(0),
    ...F64_LOAD(0),
    ...tee(T),
    ...F64X2_SPLAT,
    ...set(TV),
    ...pairsThenSingle((w, single) => [
      ...get(Q),
      ...get(Q),
      ...w.load,
      ...get(single ? T : TV),
      ...get(P),
      ...w.load,
      ...w.mul,
      ...w.add,
      ...w.store,
    ]),
  ];
  return { name: 'axpy', params: 3, locals: ONE_VECTOR_ONE_SCALAR, code };
}

/**
 * (p[i], q[i]) = (cs p[i] + sn q[i], (-sn) p[i] + cs q[i]) with cs = *(f64*)0, sn = *(f64*)8.
 * Locals: 5 csv, 6 nsv (-sn), 7 snv, 8 x, 9 y (v128); 10 cs, 11 ns, 12 sn, 13 xs, 14 ys (f64).
 */
function rotFunction(): WasmFunction {
  const [CSV, NSV, SNV, X, Y, CS, NS, SN, XS, YS] = [5, 6, 7, 8, 9, 10, 11, 12, 13, 14];
  const code = [
    ...ends,
    ...i32(0),
    ...F64_LOAD(0),
    ...tee(CS),
    ...F64X2_SPLAT,
    ...set(CSV),
    ...i32(0),
    ...F64_LOAD(8),
    ...tee(SN),
    ...F64X2_SPLAT,
    ...set(SNV),
    ...get(SN),
    F64_NEG,
    ...tee(NS),
    ...F64X2_SPLAT,
    ...set(NSV),
    ...pairsThenSingle((w, single) => {
      const [cs, sn, ns, x, y] = single ? [CS, SN, NS, XS, YS] : [CSV, SNV, NSV, X, Y];
      const combine = (a: number, b: number) => [
        ...get(a),
        ...get(x),
        ...w.mul,
        ...get(b),
        ...get(y),
        ...w.mul,
        ...w.add,
      ];
      return [
        ...get(P),
        ...w.load,
        ...set(x),
        ...get(Q),
        ...w.load,
        ...set(y),
        ...get(P),
        ...combine(cs, sn),
        ...w.store,
        ...get(Q),
        ...combine(ns, cs),
        ...w.store,
      ];
    }),
  ];
  return {
    name: 'rot',
    params: 3,
    locals: [
      [2, I32],
      [5, V128],
      [5, F64],
    ],
    code,
  };
}

const module = compileOnce(() => assemble([dotFunction(), axpyFunction(), rotFunction()]));

type Fn3 = (p: number, q: number, len: number) => void;

/** A float64 heap (one WebAssembly memory, or a plain buffer) and the three kernels over views of it. */
export class F64Kernels {
  readonly wasm: boolean;
  /** The whole heap; callers take their arrays with alloc(). */
  heap: Float64Array;
  private readonly arena: WasmArena | null = null;
  private readonly fns: { dot: Fn3; axpy: Fn3; rot: Fn3 } | null = null;
  private top = SCRATCH / 8;

  /** A heap of `elements` float64 (after the scratch area). */
  constructor(elements: number, opts: { wasm?: boolean } = {}) {
    const mod = opts.wasm === false || !wasmKernelsEnabled() ? null : module();
    this.wasm = mod !== null;
    const bytes = SCRATCH + elements * 8;
    if (mod !== null) {
      this.arena = new WasmArena();
      this.arena.reserve(bytes);
      const ex = this.arena.instantiate(mod);
      this.fns = { dot: ex.dot as Fn3, axpy: ex.axpy as Fn3, rot: ex.rot as Fn3 };
      this.heap = this.arena.f64;
    } else {
      this.heap = new Float64Array(bytes / 8);
    }
  }

  /** A zeroed view of `n` float64 of the heap. */
  alloc(n: number): Float64Array {
    if (this.top + n > this.heap.length) throw new RangeError('F64Kernels: heap exhausted');
    const v = this.heap.subarray(this.top, this.top + n);
    v.fill(0);
    this.top += n;
    return v;
  }

  /** sum_i a[ia + i] b[ib + i], i < len. */
  dot(a: Float64Array, ia: number, b: Float64Array, ib: number, len: number): number {
    if (len <= 0) return 0;
    const f = this.fns;
    if (f !== null) {
      f.dot(a.byteOffset + ia * 8, b.byteOffset + ib * 8, len);
      return this.heap[0];
    }
    // The kernel's order: even and odd terms in two sums, then the odd last term.
    let e = 0;
    let o = 0;
    const len2 = len & ~1;
    for (let i = 0; i < len2; i += 2) {
      e += a[ia + i] * b[ib + i];
      o += a[ia + i + 1] * b[ib + i + 1];
    }
    let s = e + o;
    if (len2 < len) s += a[ia + len2] * b[ib + len2];
    return s;
  }

  /** b[ib + i] += t a[ia + i], i < len. */
  axpy(t: number, a: Float64Array, ia: number, b: Float64Array, ib: number, len: number): void {
    if (len <= 0) return;
    const f = this.fns;
    if (f !== null) {
      this.heap[0] = t;
      f.axpy(a.byteOffset + ia * 8, b.byteOffset + ib * 8, len);
      return;
    }
    for (let i = 0; i < len; i++) b[ib + i] += t * a[ia + i];
  }

  /** (a[ia + i], b[ib + i]) = (cs a + sn b, -sn a + cs b), i < len. */
  rot(cs: number, sn: number, a: Float64Array, ia: number, b: Float64Array, ib: number, len: number): void {
    if (len <= 0) return;
    const f = this.fns;
    if (f !== null) {
      this.heap[0] = cs;
      this.heap[1] = sn;
      f.rot(a.byteOffset + ia * 8, b.byteOffset + ib * 8, len);
      return;
    }
    for (let i = 0; i < len; i++) {
      const x = a[ia + i];
      const y = b[ib + i];
      a[ia + i] = cs * x + sn * y;
      b[ib + i] = -sn * x + cs * y;
    }
  }
}
