/**
 * A minimal WebAssembly encoder for the index's SIMD kernels (dot-kernel.ts, adc-kernel.ts): the kernels are
 * written here as instruction lists and assembled at load time, so no toolchain or binary blob is involved.
 * Only what the kernels use is covered. Opcodes: WebAssembly core spec 2.0 (binary format) with fixed-width SIMD.
 *
 * Every module imports its memory as env.memory; each kernel instance owns one linear memory (WasmArena).
 */

export const uleb = (v: number): number[] => {
  const out: number[] = [];
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
  return out;
};
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const name = (s: string): number[] => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];

export const I32 = 0x7f;
export const F64 = 0x7c;
export const V128 = 0x7b;

export const get = (i: number): number[] => [0x20, ...uleb(i)];
export const set = (i: number): number[] => [0x21, ...uleb(i)];
export const tee = (i: number): number[] => [0x22, ...uleb(i)];
/** i32.const with a non-negative value (signed LEB128: a set bit 6 in the last byte would mean negative). */
export const i32 = (v: number): number[] => {
  const b = uleb(v);
  if (b[b.length - 1] & 0x40) {
    b[b.length - 1] |= 0x80;
    b.push(0);
  }
  return [0x41, ...b];
};
export const f64zero = [0x44, 0, 0, 0, 0, 0, 0, 0, 0];
export const ADD = 0x6a;
export const MUL = 0x6c;
export const SHL = 0x74;
export const GE_U = 0x4f;
export const GT_U = 0x4b;
export const F64_ADD = 0xa0;
export const F64_PROMOTE_F32 = 0xbb;
/** Loads with their memarg (log2 alignment, static byte offset). */
export const I32_LOAD8_U = (offset: number): number[] => [0x2d, 0x00, ...uleb(offset)];
export const F32_LOAD = (offset: number): number[] => [0x2a, 0x02, ...uleb(offset)];
export const F64_LOAD = (offset: number): number[] => [0x2b, 0x03, ...uleb(offset)];
export const F64_STORE = (offset: number): number[] => [0x39, 0x03, ...uleb(offset)];
/** `block { loop {` ... `br 0 } }`: a loop whose BREAK_IF exits the enclosing block. */
export const BLOCK_LOOP = [0x02, 0x40, 0x03, 0x40];
export const END_LOOP = [0x0c, 0x00, 0x0b, 0x0b];
export const BREAK_IF = [0x0d, 0x01];
export const simd = (op: number, ...imm: number[]): number[] => [0xfd, ...uleb(op), ...imm];
export const V128_ZERO = simd(0x0c, ...new Array<number>(16).fill(0));
export const V128_LOAD = (offset: number): number[] => simd(0x00, 0x04, ...uleb(offset));
export const V128_STORE = (offset: number): number[] => simd(0x0b, 0x04, ...uleb(offset));
/** Two float32 at the address on the stack -> f64x2 (v128.load64_zero, f64x2.promote_low_f32x4). */
export const LOAD2_F32_AS_F64 = (offset: number): number[] => [...simd(0x5d, 0x03, ...uleb(offset)), ...simd(0x5f)];
export const F64X2_MUL = simd(0xf2);
export const F64X2_ADD = simd(0xf0);
export const F64X2_SUB = simd(0xf1);
export const F64X2_LANE = (l: number): number[] => simd(0x21, l);
export const F64X2_SPLAT = simd(0x14);
export const F32X4_MUL = simd(0xe6);
export const F32X4_ADD = simd(0xe4);
export const F32X4_LANE = (l: number): number[] => simd(0x1f, l);
export const I32_AND = 0x71;
export const F64_MUL = 0xa2;
export const F64_NEG = 0x9a;
export const F32_ADD = 0x92;
export const F32_STORE = (offset: number): number[] => [0x38, 0x02, ...uleb(offset)];

export interface WasmFunction {
  name: string;
  /** Number of i32 parameters (all parameters are i32: pointers and counts). */
  params: number;
  /** Local declarations after the parameters: [count, type]. */
  locals: [number, number][];
  code: number[];
}

/** A module of functions (all i32 parameters, no result) importing env.memory. */
export function assemble(fns: readonly WasmFunction[]): Uint8Array<ArrayBuffer> {
  const types = fns.map((f) => [0x60, ...vec(new Array(f.params).fill([I32])), 0x00]);
  const bodies = fns.map((f) => {
    const body = [...vec(f.locals.map(([n, t]) => [...uleb(n), t])), ...f.code, 0x0b];
    return [...uleb(body.length), ...body];
  });
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec(types)),
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, 0x00, 0x01]])),
    ...section(3, vec(fns.map((_, i) => uleb(i)))),
    ...section(7, vec(fns.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]))),
    ...section(10, vec(bodies)),
  ]);
}

let wasmEnabled = true;

/**
 * Switches the WebAssembly kernels off (or back on) for kernels created afterwards, so that tests can run
 * whole indexes on the JS twins and compare.
 */
export function setWasmKernelsEnabled(on: boolean): void {
  wasmEnabled = on;
}

export function wasmKernelsEnabled(): boolean {
  return wasmEnabled;
}

/** Compiles the bytes once; null where WebAssembly (with SIMD) is unavailable. */
export function compileOnce(build: () => Uint8Array<ArrayBuffer>): () => WebAssembly.Module | null {
  let mod: WebAssembly.Module | null | undefined;
  return () => {
    if (mod === undefined) {
      mod = null;
      try {
        const bytes = build();
        if (typeof WebAssembly !== 'undefined' && WebAssembly.validate(bytes)) mod = new WebAssembly.Module(bytes);
      } catch {
        mod = null;
      }
    }
    return mod;
  };
}

const PAGE = 65536;

/** One linear memory with typed views, rebuilt when it grows (growing detaches the old buffer). */
export class WasmArena {
  readonly memory = new WebAssembly.Memory({ initial: 1 });
  u8 = new Uint8Array(0);
  f32 = new Float32Array(0);
  f64 = new Float64Array(0);

  constructor() {
    this.views();
  }

  instantiate(mod: WebAssembly.Module): WebAssembly.Exports {
    return new WebAssembly.Instance(mod, { env: { memory: this.memory } }).exports;
  }

  get bytes(): number {
    return this.memory.buffer.byteLength;
  }

  private views(): void {
    const buf = this.memory.buffer;
    this.u8 = new Uint8Array(buf);
    this.f32 = new Float32Array(buf);
    this.f64 = new Float64Array(buf);
  }

  /** Makes sure the memory holds `bytes` (views are rebuilt if it grows). */
  reserve(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes <= have) return;
    this.memory.grow(Math.ceil((bytes - have) / PAGE));
    this.views();
  }
}

/** Rounds a byte offset up to 16 (v128 alignment). */
export const align16 = (b: number): number => Math.ceil(b / 16) * 16;
