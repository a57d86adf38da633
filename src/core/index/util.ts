/**
 * Argument checks and conversions shared by the index classes (typed FindableErrors, never bare Errors).
 */
import { FindableError } from '../errors.ts';
import type { Vectors } from './types.ts';

export function assertPositiveInt(name: string, v: number): void {
  if (!Number.isInteger(v) || v <= 0) {
    throw new FindableError('INVALID_ARGUMENT', `${name} must be a positive integer, got ${v}`, { [name]: v });
  }
}

export function assertNonNegativeInt(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0) {
    throw new FindableError('INVALID_ARGUMENT', `${name} must be a non-negative integer, got ${v}`, { [name]: v });
  }
}

/** Checks x holds at least n x d values and returns a float32 view/copy of exactly n * d values. */
export function asF32(name: string, x: Vectors, n: number, d: number): Float32Array {
  assertNonNegativeInt('n', n);
  const need = n * d;
  if (x.length < need) {
    throw new FindableError('SHAPE_MISMATCH', `${name}: expected ${n} x ${d} = ${need} values, got ${x.length}`, {
      name,
      n,
      d,
      length: x.length,
    });
  }
  if (x instanceof Float32Array) return x.length === need ? x : x.subarray(0, need);
  return Float32Array.from(x.subarray(0, need));
}

/** Checks an array has exactly `len` elements (raw parts given to fromParts). */
export function assertLength(name: string, a: ArrayLike<unknown>, len: number): void {
  if (a.length !== len) {
    throw new FindableError('SHAPE_MISMATCH', `${name}: expected ${len} values, got ${a.length}`, {
      name,
      expected: len,
      actual: a.length,
    });
  }
}

/** Converts ids (numbers or bigints) to Float64Array, rejecting non-integers and unsafe magnitudes. */
export function toIds(ids: ArrayLike<number> | BigInt64Array, n: number): Float64Array {
  if (ids.length !== n) {
    throw new FindableError('SHAPE_MISMATCH', `ids: expected ${n} ids, got ${ids.length}`, { n, length: ids.length });
  }
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = Number(ids[i]);
    if (!Number.isSafeInteger(v)) {
      throw new FindableError('INVALID_ARGUMENT', `ids[${i}] is not a safe integer: ${String(ids[i])}`, { index: i });
    }
    out[i] = v;
  }
  return out;
}

export function notTrained(what: string): FindableError {
  return new FindableError('INDEX_NOT_TRAINED', `${what} must be trained before this operation`, { index: what });
}

/** faiss Level1Quantizer::coarse_code_size: bytes needed to write nlist - 1 little-endian. */
export function coarseCodeSize(nlist: number): number {
  let nl = nlist - 1;
  let nbyte = 0;
  while (nl > 0) {
    nbyte++;
    nl = Math.floor(nl / 256);
  }
  return nbyte;
}
