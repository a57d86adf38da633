/**
 * Attribute helpers: turning plain JS values into tagged ONNX attributes (builder side) and reading
 * attributes back as plain values with defaults (consumer side).
 *
 * JS has one number type but ONNX distinguishes INT and FLOAT, so a plain integer-valued number is
 * stored as INT unless the attribute name is one that ONNX always declares as FLOAT (alpha, epsilon...).
 * Use `attr.float(1)` / `attr.floats([1, 2])` to force FLOAT for anything not in that list.
 */
import { FindableError } from '../errors.ts';
import type { Attribute, Graph, Node, Tensor } from './model.ts';

/** Attribute names that are FLOAT / FLOATS in every standard op that uses them. */
const FLOAT_NAMES = new Set([
  'alpha',
  'beta',
  'gamma',
  'epsilon',
  'momentum',
  'bias',
  'lambd',
  'ratio',
  'scale',
  'scales',
  'min',
  'max',
  'value_float',
  'value_floats',
  'extrapolation_value',
  'cubic_coeff_a',
  'threshold',
  'mean',
  'high',
  'low',
  'seed',
  'spatial_scale',
]);

export type AttrInput = number | boolean | string | number[] | string[] | Tensor | Attribute | Graph;

export const attr = {
  int: (value: number): Attribute => ({ type: 'int', value }),
  float: (value: number): Attribute => ({ type: 'float', value }),
  ints: (value: number[]): Attribute => ({ type: 'ints', value }),
  floats: (value: number[]): Attribute => ({ type: 'floats', value }),
  string: (value: string): Attribute => ({ type: 'string', value }),
  strings: (value: string[]): Attribute => ({ type: 'strings', value }),
  tensor: (value: Tensor): Attribute => ({ type: 'tensor', value }),
  graph: (value: Graph): Attribute => ({ type: 'graph', value }),
};

function isTagged(v: unknown): v is Attribute {
  return typeof v === 'object' && v !== null && 'type' in v && 'value' in v && !('dims' in v);
}

/** Tags a plain JS value as an ONNX attribute (see the module comment for the INT/FLOAT rule). */
export function toAttribute(name: string, v: AttrInput): Attribute {
  if (isTagged(v)) return v;
  const floaty = FLOAT_NAMES.has(name);
  if (typeof v === 'boolean') return { type: 'int', value: v ? 1 : 0 };
  if (typeof v === 'number') return floaty || !Number.isInteger(v) ? attr.float(v) : attr.int(v);
  if (typeof v === 'string') return attr.string(v);
  if (Array.isArray(v)) {
    if (v.length > 0 && typeof v[0] === 'string') return attr.strings(v as string[]);
    const nums = v as number[];
    return floaty || nums.some((x) => !Number.isInteger(x)) ? attr.floats(nums) : attr.ints(nums);
  }
  if ('dims' in v && 'data' in v) return attr.tensor(v);
  if ('nodes' in v) return attr.graph(v);
  throw new FindableError('INVALID_ARGUMENT', `Cannot convert attribute '${name}' to an ONNX attribute.`);
}

export function toAttributes(attrs: Record<string, AttrInput | undefined> | undefined): Record<string, Attribute> {
  const out: Record<string, Attribute> = {};
  if (!attrs) return out;
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) out[k] = toAttribute(k, v);
  return out;
}

function wrongType(node: Node, name: string, want: string): FindableError {
  return new FindableError(
    'MODEL_INVALID',
    `Attribute '${name}' of ${node.opType} node '${node.name}' is ${node.attributes[name]?.type}, expected ${want}.`,
    { node: node.name, opType: node.opType, attribute: name },
  );
}

export function attrInt(node: Node, name: string, def: number): number;
export function attrInt(node: Node, name: string): number | undefined;
export function attrInt(node: Node, name: string, def?: number): number | undefined {
  const a = node.attributes[name];
  if (!a) return def;
  if (a.type !== 'int') throw wrongType(node, name, 'int');
  return a.value;
}

export function attrFloat(node: Node, name: string, def: number): number;
export function attrFloat(node: Node, name: string): number | undefined;
export function attrFloat(node: Node, name: string, def?: number): number | undefined {
  const a = node.attributes[name];
  if (!a) return def;
  if (a.type !== 'float' && a.type !== 'int') throw wrongType(node, name, 'float');
  return a.value;
}

export function attrInts(node: Node, name: string, def: number[]): number[];
export function attrInts(node: Node, name: string): number[] | undefined;
export function attrInts(node: Node, name: string, def?: number[]): number[] | undefined {
  const a = node.attributes[name];
  if (!a) return def;
  if (a.type !== 'ints') throw wrongType(node, name, 'ints');
  return a.value;
}

export function attrFloats(node: Node, name: string, def: number[]): number[];
export function attrFloats(node: Node, name: string): number[] | undefined;
export function attrFloats(node: Node, name: string, def?: number[]): number[] | undefined {
  const a = node.attributes[name];
  if (!a) return def;
  if (a.type !== 'floats' && a.type !== 'ints') throw wrongType(node, name, 'floats');
  return a.value;
}

export function attrString(node: Node, name: string, def: string): string;
export function attrString(node: Node, name: string): string | undefined;
export function attrString(node: Node, name: string, def?: string): string | undefined {
  const a = node.attributes[name];
  if (!a) return def;
  if (a.type !== 'string') throw wrongType(node, name, 'string');
  return a.value;
}

export function attrTensor(node: Node, name: string): Tensor | undefined {
  const a = node.attributes[name];
  if (!a) return undefined;
  if (a.type !== 'tensor') throw wrongType(node, name, 'tensor');
  return a.value;
}
