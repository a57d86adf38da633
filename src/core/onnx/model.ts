/**
 * Plain-object representation of an ONNX model. Nothing here depends on protobuf: proto-io.ts converts
 * between these objects and the wire format, so the rest of the codebase never sees protobuf types.
 *
 * Conventions
 * - Values (tensors flowing between nodes) are referred to by name (string). '' marks an omitted optional input.
 * - Dims: a number is a static size, a string a symbolic dimension ('H', 'batch'), null an unknown one.
 * - int64 tensor data is a BigInt64Array (ONNX int64 may exceed 2^53, e.g. Slice ends = INT64_MAX);
 *   int64 attributes are plain numbers (they never need more than 53 bits in practice).
 */

export type DataType =
  | 'float32'
  | 'float64'
  | 'float16'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'bool'
  | 'string';

/** Typed array used for each data type. float16 is kept as raw bits; bool as 0/1 bytes. */
export type TensorArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | string[];

export interface Tensor {
  dtype: DataType;
  dims: number[];
  data: TensorArray;
}

export interface Initializer extends Tensor {
  name: string;
}

export type Dim = number | string | null;

export interface ValueInfo {
  name: string;
  dtype: DataType;
  /** undefined = rank unknown. */
  shape?: Dim[];
}

/**
 * Attributes are tagged so that an integer-valued float (alpha = 1) survives a round trip as FLOAT.
 * The builder accepts plain JS values and tags them (see attributes.ts).
 */
export type Attribute =
  | { type: 'int'; value: number }
  | { type: 'float'; value: number }
  | { type: 'string'; value: string }
  | { type: 'ints'; value: number[] }
  | { type: 'floats'; value: number[] }
  | { type: 'strings'; value: string[] }
  | { type: 'tensor'; value: Tensor }
  | { type: 'graph'; value: Graph };

export interface Node {
  name: string;
  opType: string;
  /** '' = the default ai.onnx domain. */
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: Record<string, Attribute>;
}

export interface Graph {
  name: string;
  nodes: Node[];
  initializers: Initializer[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  /** Optional shape annotations of intermediate values. */
  valueInfo: ValueInfo[];
}

export interface OpsetImport {
  domain: string;
  version: number;
}

export interface Model {
  irVersion: number;
  opsetImports: OpsetImport[];
  producerName: string;
  producerVersion: string;
  graph: Graph;
  metadata: Record<string, string>;
}

/** Opset version of the default (ai.onnx) domain. */
export function opsetOf(model: Model): number {
  const imp = model.opsetImports.find((o) => o.domain === '' || o.domain === 'ai.onnx');
  return imp ? imp.version : 0;
}

/** Graph inputs that are not initializers (older exporters list initializers as inputs too). */
export function realInputs(graph: Graph): ValueInfo[] {
  const inits = new Set(graph.initializers.map((i) => i.name));
  return graph.inputs.filter((i) => !inits.has(i.name));
}

export function initializerMap(graph: Graph): Map<string, Initializer> {
  return new Map(graph.initializers.map((i) => [i.name, i]));
}

/** Map from value name to the node producing it. */
export function producerMap(graph: Graph): Map<string, Node> {
  const m = new Map<string, Node>();
  for (const n of graph.nodes) for (const o of n.outputs) if (o) m.set(o, n);
  return m;
}

/** Map from value name to the nodes consuming it. */
export function consumerMap(graph: Graph): Map<string, Node[]> {
  const m = new Map<string, Node[]>();
  for (const n of graph.nodes) {
    for (const i of n.inputs) {
      if (!i) continue;
      const list = m.get(i);
      if (list) list.push(n);
      else m.set(i, [n]);
    }
  }
  return m;
}

export function numElements(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}
