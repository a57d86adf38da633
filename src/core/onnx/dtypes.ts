/** Data type tables: ONNX TensorProto.DataType codes, byte sizes and typed-array constructors. */
import { FindableError } from '../errors.ts';
import type { DataType, TensorArray } from './model.ts';

/** ONNX TensorProto.DataType enum values (onnx.proto). */
export const ONNX_DTYPE_CODE: Record<DataType, number> = {
  float32: 1,
  uint8: 2,
  int8: 3,
  uint16: 4,
  int16: 5,
  int32: 6,
  int64: 7,
  string: 8,
  bool: 9,
  float16: 10,
  float64: 11,
  uint32: 12,
  uint64: 13,
};

const CODE_TO_DTYPE = new Map<number, DataType>(Object.entries(ONNX_DTYPE_CODE).map(([k, v]) => [v, k as DataType]));

export function dtypeFromCode(code: number): DataType {
  const d = CODE_TO_DTYPE.get(code);
  if (!d) throw new FindableError('MODEL_INVALID', `Unsupported ONNX data type code ${code}.`, { code });
  return d;
}

export const DTYPE_BYTES: Record<DataType, number> = {
  float32: 4,
  float64: 8,
  float16: 2,
  int8: 1,
  uint8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  int64: 8,
  uint64: 8,
  bool: 1,
  string: 0,
};

type NumericArrayCtor = {
  new (n: number): Exclude<TensorArray, string[]>;
  new (buf: ArrayBuffer, byteOffset: number, length: number): Exclude<TensorArray, string[]>;
};

export const ARRAY_CTOR: Record<Exclude<DataType, 'string'>, NumericArrayCtor> = {
  float32: Float32Array,
  float64: Float64Array,
  float16: Uint16Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int64: BigInt64Array,
  uint64: BigUint64Array,
  bool: Uint8Array,
};

/** Allocates a zero-filled array for `n` elements of `dtype`. */
export function allocArray(dtype: DataType, n: number): TensorArray {
  if (dtype === 'string') return new Array<string>(n).fill('');
  return new ARRAY_CTOR[dtype](n);
}

/** Guesses the data type of a typed array (Uint8Array -> uint8, Uint16Array -> uint16). */
export function dtypeOfArray(a: TensorArray): DataType {
  if (Array.isArray(a)) return 'string';
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof BigInt64Array) return 'int64';
  if (a instanceof BigUint64Array) return 'uint64';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof Uint32Array) return 'uint32';
  if (a instanceof Int16Array) return 'int16';
  if (a instanceof Uint16Array) return 'uint16';
  if (a instanceof Int8Array) return 'int8';
  return 'uint8';
}

/** Reads element i as a JS number (bigint converted; fine for shapes and indices). */
export function toNumberArray(a: TensorArray): number[] {
  if (Array.isArray(a)) throw new FindableError('INVALID_ARGUMENT', 'String tensor has no numeric values.');
  return Array.from(a as ArrayLike<number | bigint>, (v) => Number(v));
}
