/**
 * The only module that touches protobuf: converts ONNX wire bytes <-> plain objects (model.ts).
 *
 * Tensors are always written as little-endian raw_data (strings as string_data). On read, every
 * ONNX storage field is accepted. protobufjs decodes int64 as Long objects when the `long` package
 * is resolvable (Node) and as lossy numbers otherwise (bundled browser code); both are handled.
 */
import onnxProto from 'onnx-proto';
import { FindableError } from '../errors.ts';
import { ARRAY_CTOR, DTYPE_BYTES, dtypeFromCode, ONNX_DTYPE_CODE } from './dtypes.ts';
import type {
  Attribute,
  DataType,
  Dim,
  Graph,
  Initializer,
  Model,
  Node,
  Tensor,
  TensorArray,
  ValueInfo,
} from './model.ts';

const { onnx } = onnxProto;
type P = typeof onnx;
type LongLike = number | { low: number; high: number; unsigned?: boolean };

const AT = {
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
} as const;

const utf8d = new TextDecoder();
const utf8e = new TextEncoder();

const TWO63 = 2n ** 63n;

function longToNumber(v: LongLike | null | undefined): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'number') return v;
  return Number(longToBigInt(v));
}

function longToBigInt(v: LongLike, unsigned = false): bigint {
  if (typeof v === 'number') {
    // Lossy numbers (browser, no Long): clamp so INT64_MAX-ish sentinels stay representable.
    if (!unsigned && v >= 9.2233720368547e18) return TWO63 - 1n;
    if (!unsigned && v <= -9.2233720368547e18) return -TWO63;
    return BigInt(Math.trunc(v));
  }
  const u = (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0);
  return unsigned ? u : BigInt.asIntN(64, u);
}

function has(obj: object, key: string): boolean {
  return Object.hasOwn(obj, key);
}

// ---------------------------------------------------------------- decode

export function loadModel(bytes: Uint8Array | ArrayBuffer): Model {
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let m: InstanceType<P['ModelProto']>;
  try {
    m = onnx.ModelProto.decode(u8);
  } catch (e) {
    throw new FindableError('MODEL_INVALID', `Not a valid ONNX model: ${(e as Error).message}`, undefined, {
      cause: e,
    });
  }
  if (!m.graph) throw new FindableError('MODEL_INVALID', 'ONNX model has no graph.');
  const metadata: Record<string, string> = {};
  for (const p of m.metadataProps ?? []) metadata[p.key ?? ''] = p.value ?? '';
  return {
    irVersion: longToNumber(m.irVersion as LongLike),
    opsetImports: (m.opsetImport ?? []).map((o) => ({
      domain: o.domain ?? '',
      version: longToNumber(o.version as LongLike),
    })),
    producerName: m.producerName ?? '',
    producerVersion: m.producerVersion ?? '',
    graph: decodeGraph(m.graph),
    metadata,
  };
}

function decodeGraph(g: InstanceType<P['GraphProto']> | onnxProto.onnx.IGraphProto): Graph {
  return {
    name: g.name ?? '',
    nodes: (g.node ?? []).map(decodeNode),
    initializers: (g.initializer ?? []).map((t) => ({ name: t.name ?? '', ...decodeTensor(t) })),
    inputs: (g.input ?? []).map(decodeValueInfo),
    outputs: (g.output ?? []).map(decodeValueInfo),
    valueInfo: (g.valueInfo ?? []).map(decodeValueInfo),
  };
}

function decodeNode(n: onnxProto.onnx.INodeProto): Node {
  const attributes: Record<string, Attribute> = {};
  for (const a of n.attribute ?? []) attributes[a.name ?? ''] = decodeAttribute(a);
  return {
    name: n.name ?? '',
    opType: n.opType ?? '',
    domain: n.domain ?? '',
    inputs: [...(n.input ?? [])],
    outputs: [...(n.output ?? [])],
    attributes,
  };
}

function decodeAttribute(a: onnxProto.onnx.IAttributeProto): Attribute {
  switch (a.type) {
    case AT.FLOAT:
      return { type: 'float', value: a.f ?? 0 };
    case AT.INT:
      return { type: 'int', value: longToNumber(a.i as LongLike) };
    case AT.STRING:
      return { type: 'string', value: utf8d.decode(a.s ?? new Uint8Array()) };
    case AT.TENSOR:
      return { type: 'tensor', value: decodeTensor(a.t ?? {}) };
    case AT.GRAPH:
      return { type: 'graph', value: decodeGraph(a.g ?? {}) };
    case AT.FLOATS:
      return { type: 'floats', value: [...(a.floats ?? [])] };
    case AT.INTS:
      return { type: 'ints', value: (a.ints ?? []).map((v) => longToNumber(v as LongLike)) };
    case AT.STRINGS:
      return { type: 'strings', value: (a.strings ?? []).map((s) => utf8d.decode(s)) };
    default:
      throw new FindableError('MODEL_INVALID', `Unsupported attribute type ${a.type} for attribute '${a.name}'.`, {
        attribute: a.name,
      });
  }
}

export function decodeTensor(t: onnxProto.onnx.ITensorProto): Tensor {
  const dtype = dtypeFromCode(t.dataType ?? 0);
  const dims = (t.dims ?? []).map((d) => longToNumber(d as LongLike));
  const n = dims.reduce((a, b) => a * b, 1);
  if (t.dataLocation === 1) {
    throw new FindableError('MODEL_INVALID', `Tensor '${t.name}' uses external data, which is not supported.`);
  }
  if (dtype === 'string') {
    return { dtype, dims, data: (t.stringData ?? []).map((s) => utf8d.decode(s)) };
  }
  const raw = t.rawData;
  const Ctor = ARRAY_CTOR[dtype];
  let data: TensorArray;
  if (raw && raw.length > 0) {
    if (raw.length !== n * DTYPE_BYTES[dtype]) {
      throw new FindableError(
        'MODEL_INVALID',
        `Tensor '${t.name}' raw_data has ${raw.length} bytes, expected ${n * DTYPE_BYTES[dtype]}.`,
      );
    }
    // Copy: raw_data is a view into the model buffer (a pooled Buffer in Node), often unaligned.
    const copy = new Uint8Array(raw.length);
    copy.set(raw);
    data = new Ctor(copy.buffer, 0, n);
  } else {
    data = new Ctor(n);
    const out = data as unknown as { [i: number]: number | bigint };
    let src: ArrayLike<number | bigint>;
    switch (dtype) {
      case 'float32':
        src = t.floatData ?? [];
        break;
      case 'float64':
        src = t.doubleData ?? [];
        break;
      case 'int64':
        src = (t.int64Data ?? []).map((v) => longToBigInt(v as LongLike));
        break;
      case 'uint64':
        src = (t.uint64Data ?? []).map((v) => longToBigInt(v as LongLike, true));
        break;
      case 'uint32':
        src = (t.uint64Data ?? []).map((v) => longToNumber(v as LongLike));
        break;
      default:
        // int32, int16, int8, uint16, uint8, bool and float16 bits live in int32_data.
        src = t.int32Data ?? [];
    }
    if (src.length !== n) {
      throw new FindableError('MODEL_INVALID', `Tensor '${t.name}' has ${src.length} values, expected ${n}.`);
    }
    for (let i = 0; i < n; i++) out[i] = src[i];
  }
  return { dtype, dims, data };
}

function decodeValueInfo(v: onnxProto.onnx.IValueInfoProto): ValueInfo {
  const tt = v.type?.tensorType;
  const info: ValueInfo = { name: v.name ?? '', dtype: tt?.elemType ? dtypeFromCode(tt.elemType) : 'float32' };
  if (tt?.shape) {
    info.shape = (tt.shape.dim ?? []).map((d): Dim => {
      if (has(d, 'dimValue')) return longToNumber(d.dimValue as LongLike);
      if (has(d, 'dimParam') && d.dimParam) return d.dimParam;
      return null;
    });
  }
  return info;
}

// ---------------------------------------------------------------- encode

export function saveModel(model: Model): Uint8Array {
  const m: onnxProto.onnx.IModelProto = {
    irVersion: model.irVersion,
    opsetImport: model.opsetImports.map((o) => ({ domain: o.domain, version: o.version })),
    producerName: model.producerName,
    producerVersion: model.producerVersion,
    graph: encodeGraph(model.graph),
    metadataProps: Object.entries(model.metadata).map(([key, value]) => ({ key, value })),
  };
  return onnx.ModelProto.encode(m).finish();
}

function encodeGraph(g: Graph): onnxProto.onnx.IGraphProto {
  return {
    name: g.name,
    node: g.nodes.map(encodeNode),
    initializer: g.initializers.map((i: Initializer) => encodeTensor(i, i.name)),
    input: g.inputs.map(encodeValueInfo),
    output: g.outputs.map(encodeValueInfo),
    valueInfo: g.valueInfo.map(encodeValueInfo),
  };
}

function encodeNode(n: Node): onnxProto.onnx.INodeProto {
  const p: onnxProto.onnx.INodeProto = {
    name: n.name,
    opType: n.opType,
    input: n.inputs,
    output: n.outputs,
    attribute: Object.entries(n.attributes).map(([name, a]) => encodeAttribute(name, a)),
  };
  if (n.domain) p.domain = n.domain;
  return p;
}

function encodeAttribute(name: string, a: Attribute): onnxProto.onnx.IAttributeProto {
  switch (a.type) {
    case 'float':
      return { name, type: AT.FLOAT, f: a.value };
    case 'int':
      return { name, type: AT.INT, i: a.value };
    case 'string':
      return { name, type: AT.STRING, s: utf8e.encode(a.value) };
    case 'tensor':
      return { name, type: AT.TENSOR, t: encodeTensor(a.value) };
    case 'graph':
      return { name, type: AT.GRAPH, g: encodeGraph(a.value) };
    case 'floats':
      return { name, type: AT.FLOATS, floats: a.value };
    case 'ints':
      return { name, type: AT.INTS, ints: a.value };
    case 'strings':
      return { name, type: AT.STRINGS, strings: a.value.map((s) => utf8e.encode(s)) };
  }
}

export function encodeTensor(t: Tensor, name?: string): onnxProto.onnx.ITensorProto {
  const p: onnxProto.onnx.ITensorProto = { dims: t.dims, dataType: ONNX_DTYPE_CODE[t.dtype] };
  if (name !== undefined) p.name = name;
  if (t.dtype === 'string') {
    p.stringData = (t.data as string[]).map((s) => utf8e.encode(s));
  } else {
    const a = t.data as Exclude<TensorArray, string[]>;
    p.rawData = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  }
  return p;
}

function encodeValueInfo(v: ValueInfo): onnxProto.onnx.IValueInfoProto {
  const tensorType: onnxProto.onnx.TypeProto.ITensor = { elemType: ONNX_DTYPE_CODE[v.dtype as DataType] };
  if (v.shape) {
    tensorType.shape = {
      dim: v.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : typeof d === 'string' ? { dimParam: d } : {})),
    };
  }
  return { name: v.name, type: { tensorType } };
}
