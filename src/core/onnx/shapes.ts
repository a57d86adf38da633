/**
 * Static shape and type inference for the ops Findable uses, with light constant folding of small
 * integer tensors (Shape -> Gather -> Concat -> Reshape chains as exported by PyTorch).
 *
 * Dims follow model.ts: number = static, string = symbolic ('H'), null = unknown. An op this module
 * does not know gets the dtype of its first input and an unknown rank (shape undefined); inference
 * never throws for unknown ops, only for inconsistent known ones.
 */
import { FindableError } from '../errors.ts';
import { attrFloat, attrInt, attrInts, attrString, attrTensor } from './attributes.ts';
import { dtypeFromCode, toNumberArray } from './dtypes.ts';
import type { DataType, Dim, Graph, Model, Node, Tensor } from './model.ts';
import { opsetOf } from './model.ts';
import { topologicalSort } from './topo.ts';

export interface TypeInfo {
  dtype: DataType;
  /** undefined = rank unknown. */
  shape?: Dim[];
}

export interface ShapeInfo {
  /** Type and shape of every value whose type could be determined. */
  types: Map<string, TypeInfo>;
  /** Initializers plus small constant-folded tensors (Constant nodes, static Shape chains). */
  constants: Map<string, Tensor>;
}

/** Small constant tensors are folded; larger ones would only cost memory. */
const FOLD_LIMIT = 1024;

export function inferShapes(model: Model, inputShapes?: Record<string, Dim[]>): ShapeInfo {
  return inferGraphShapes(model.graph, opsetOf(model), inputShapes);
}

export function inferGraphShapes(graph: Graph, opset: number, inputShapes?: Record<string, Dim[]>): ShapeInfo {
  const types = new Map<string, TypeInfo>();
  const constants = new Map<string, Tensor>();
  for (const i of graph.initializers) {
    types.set(i.name, { dtype: i.dtype, shape: [...i.dims] });
    constants.set(i.name, i);
  }
  for (const i of graph.inputs) {
    if (constants.has(i.name)) continue;
    const shape = inputShapes?.[i.name] ?? i.shape;
    types.set(i.name, shape ? { dtype: i.dtype, shape: [...shape] } : { dtype: i.dtype });
  }
  const ctx = new Ctx(types, constants, opset);
  for (const node of topologicalSort(graph)) {
    try {
      inferNode(node, ctx);
    } catch (e) {
      if (e instanceof FindableError) throw e;
      throw new FindableError('SHAPE_MISMATCH', `Shape inference failed at ${node.opType} node '${node.name}': ${e}`, {
        node: node.name,
        opType: node.opType,
      });
    }
  }
  return { types, constants };
}

/** Dims helpers, exported for the gradient builder. */
export function isStatic(shape: Dim[] | undefined): shape is number[] {
  return shape?.every((d) => typeof d === 'number') === true;
}

/** Numpy-style broadcast of two shapes. */
export function broadcastShapes(a: Dim[], b: Dim[]): Dim[] {
  const r = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < r; i++) {
    const x = i < r - a.length ? 1 : a[i - (r - a.length)];
    const y = i < r - b.length ? 1 : b[i - (r - b.length)];
    out.push(broadcastDim(x, y));
  }
  return out;
}

function broadcastDim(x: Dim, y: Dim): Dim {
  if (x === 1) return y;
  if (y === 1) return x;
  if (x === y) return x;
  if (typeof x === 'number' && typeof y === 'number') throw new Error(`cannot broadcast ${x} with ${y}`);
  if (typeof x === 'number') return x;
  if (typeof y === 'number') return y;
  return null;
}

function normAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

function prodDims(ds: Dim[]): Dim {
  const sym = ds.filter((d) => d !== 1);
  if (sym.length === 1) return sym[0];
  let p = 1;
  for (const d of ds) {
    if (typeof d !== 'number') return null;
    p *= d;
  }
  return p;
}

function add(a: Dim, b: number): Dim {
  return typeof a === 'number' ? a + b : null;
}

class Ctx {
  constructor(
    readonly types: Map<string, TypeInfo>,
    readonly constants: Map<string, Tensor>,
    readonly opset: number,
  ) {}
  type(name: string): TypeInfo | undefined {
    return name ? this.types.get(name) : undefined;
  }
  shape(name: string): Dim[] | undefined {
    return this.type(name)?.shape;
  }
  dtype(name: string): DataType {
    return this.type(name)?.dtype ?? 'float32';
  }
  /** Shape-like 1-D (or scalar) int vectors whose elements may be symbolic (from Shape of a dynamic tensor). */
  readonly dimVecs = new Map<string, { dims: Dim[]; scalar: boolean }>();
  /** Elements of a shape-like int vector: constants or symbolic dims; undefined when unknown. */
  dimVec(name: string): { dims: Dim[]; scalar: boolean } | undefined {
    if (!name) return undefined;
    const t = this.constants.get(name);
    if (t && (t.dtype === 'int64' || t.dtype === 'int32') && t.dims.length <= 1) {
      return { dims: toNumberArray(t.data), scalar: t.dims.length === 0 };
    }
    return this.dimVecs.get(name);
  }
  setDimVec(name: string, dims: Dim[], scalar: boolean): void {
    if (dims.every((d) => typeof d === 'number')) this.fold(name, i64(dims as number[], scalar ? [] : [dims.length]));
    else this.dimVecs.set(name, { dims, scalar });
  }
  /** Constant integer values of an input, or undefined when not known statically. */
  ints(name: string): number[] | undefined {
    const t = name ? this.constants.get(name) : undefined;
    return t ? toNumberArray(t.data) : undefined;
  }
  set(name: string, dtype: DataType, shape?: Dim[]): undefined {
    if (!name) return;
    this.types.set(name, shape ? { dtype, shape } : { dtype });
  }
  fold(name: string, t: Tensor): void {
    if (t.data.length <= FOLD_LIMIT) this.constants.set(name, t);
  }
}

function i64(values: number[], dims?: number[]): Tensor {
  return { dtype: 'int64', dims: dims ?? [values.length], data: BigInt64Array.from(values.map((v) => BigInt(v))) };
}

const UNARY = new Set([
  'Relu',
  'Clip',
  'Sigmoid',
  'Tanh',
  'Exp',
  'Log',
  'Sqrt',
  'Neg',
  'Abs',
  'Erf',
  'LeakyRelu',
  'HardSigmoid',
  'HardSwish',
  'Softmax',
  'LogSoftmax',
  'Identity',
  'Reciprocal',
  'Floor',
  'Ceil',
  'Round',
  'Sign',
  'Sin',
  'Cos',
  'Softplus',
  'Softsign',
  'Elu',
  'Selu',
  'Celu',
  'Gelu',
  'Mish',
  'LRN',
  'InstanceNormalization',
  'LayerNormalization',
  'BatchNormalization',
  'Dropout',
  'LpNormalization',
  'Not',
  'PRelu',
  'Shrink',
  'ThresholdedRelu',
]);

const BROADCAST = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min', 'Mean', 'Sum', 'Mod', 'BitShift']);
const COMPARE = new Set(['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'And', 'Or', 'Xor']);
const REDUCE = new Set([
  'ReduceMean',
  'ReduceSum',
  'ReduceMax',
  'ReduceMin',
  'ReduceProd',
  'ReduceL1',
  'ReduceL2',
  'ReduceSumSquare',
  'ReduceLogSum',
  'ReduceLogSumExp',
]);

function inferNode(n: Node, c: Ctx): undefined {
  const op = n.opType;
  const x = n.inputs[0] ?? '';
  const xs = c.shape(x);
  const xt = c.dtype(x);
  const out = n.outputs[0];
  if (n.domain !== '' && n.domain !== 'ai.onnx') {
    for (const o of n.outputs) c.set(o, xt);
    return;
  }
  if (UNARY.has(op)) {
    c.set(out, xt, xs && [...xs]);
    if (op === 'Dropout' && n.outputs[1]) c.set(n.outputs[1], 'bool', xs && [...xs]);
    if (op === 'Identity') {
      const v = c.constants.get(x);
      if (v) c.fold(out, v);
      else if (c.dimVecs.has(x)) c.dimVecs.set(out, c.dimVecs.get(x)!);
    }
    return;
  }
  if (BROADCAST.has(op) || COMPARE.has(op) || op === 'Where' || op === 'PRelu') {
    const shapes = n.inputs.map((i) => c.shape(i));
    const dtype = COMPARE.has(op) ? 'bool' : op === 'Where' ? c.dtype(n.inputs[1]) : xt;
    if (shapes.some((s) => s === undefined)) return c.set(out, dtype);
    const shape = (shapes as Dim[][]).reduce((a, b) => broadcastShapes(a, b));
    c.set(out, dtype, shape);
    foldArith(n, c);
    return;
  }
  if (REDUCE.has(op)) {
    const keep = attrInt(n, 'keepdims', 1) === 1;
    const axesFromInput = op === 'ReduceSum' ? c.opset >= 13 : c.opset >= 18;
    const axes = axesFromInput ? (n.inputs[1] ? c.ints(n.inputs[1]) : []) : attrInts(n, 'axes', []);
    if (!xs || axes === undefined) return c.set(out, xt);
    const noop = attrInt(n, 'noop_with_empty_axes', 0) === 1;
    if (axes.length === 0 && noop) return c.set(out, xt, [...xs]);
    const set = new Set((axes.length ? axes : xs.map((_, i) => i)).map((a) => normAxis(a, xs.length)));
    const shape: Dim[] = [];
    xs.forEach((d, i) => {
      if (!set.has(i)) shape.push(d);
      else if (keep) shape.push(1);
    });
    return c.set(out, xt, shape);
  }
  switch (op) {
    case 'Cast': {
      const to = dtypeFromCode(attrInt(n, 'to', 1));
      c.set(out, to, xs && [...xs]);
      if (c.dimVecs.has(x) && (to === 'int64' || to === 'int32')) c.dimVecs.set(out, c.dimVecs.get(x)!);
      const v = c.constants.get(x);
      if (v && (to === 'int64' || to === 'int32' || to === 'float32' || to === 'float64')) {
        const nums = toNumberArray(v.data);
        const data =
          to === 'int64'
            ? BigInt64Array.from(nums.map((q) => BigInt(Math.trunc(q))))
            : to === 'int32'
              ? Int32Array.from(nums)
              : to === 'float32'
                ? Float32Array.from(nums)
                : Float64Array.from(nums);
        c.fold(out, { dtype: to, dims: [...v.dims], data });
      }
      return;
    }
    case 'Constant': {
      const t = attrTensor(n, 'value');
      let tensor: Tensor | undefined = t;
      if (!tensor) {
        const vf = attrFloat(n, 'value_float');
        const vfs = n.attributes.value_floats;
        const vi = attrInt(n, 'value_int');
        const vis = attrInts(n, 'value_ints');
        if (vf !== undefined) tensor = { dtype: 'float32', dims: [], data: Float32Array.of(vf) };
        else if (vfs?.type === 'floats')
          tensor = { dtype: 'float32', dims: [vfs.value.length], data: Float32Array.from(vfs.value) };
        else if (vi !== undefined) tensor = i64([vi], []);
        else if (vis !== undefined) tensor = i64(vis);
      }
      if (!tensor) return c.set(out, 'float32');
      c.set(out, tensor.dtype, [...tensor.dims]);
      c.fold(out, tensor);
      return;
    }
    case 'ConstantOfShape': {
      const v = attrTensor(n, 'value');
      const dims = c.ints(x);
      const dtype = v ? v.dtype : 'float32';
      if (!dims) {
        const s = c.shape(x);
        return c.set(out, dtype, s && typeof s[0] === 'number' ? new Array<Dim>(s[0]).fill(null) : undefined);
      }
      return c.set(out, dtype, dims);
    }
    case 'Shape': {
      const start = attrInt(n, 'start', 0);
      const r = xs?.length;
      if (r === undefined) return c.set(out, 'int64', [null]);
      const s = normAxis(start, r);
      const endA = attrInt(n, 'end');
      const e = endA === undefined ? r : Math.min(normAxis(endA, r), r);
      const dims = xs!.slice(Math.max(0, s), e);
      c.set(out, 'int64', [dims.length]);
      c.setDimVec(out, dims, false);
      return;
    }
    case 'Size':
      c.set(out, 'int64', []);
      if (isStatic(xs)) c.fold(out, i64([xs.reduce((a, b) => a * b, 1)], []));
      return;
    case 'Conv':
    case 'ConvInteger':
      return c.set(out, xt, convShape(n, xs, c.shape(n.inputs[1])));
    case 'ConvTranspose':
      return c.set(out, xt, convTransposeShape(n, xs, c.shape(n.inputs[1])));
    case 'MaxPool':
    case 'AveragePool':
    case 'LpPool': {
      const s = poolShape(n, xs);
      c.set(out, xt, s);
      if (n.outputs[1]) c.set(n.outputs[1], 'int64', s && [...s]);
      return;
    }
    case 'GlobalAveragePool':
    case 'GlobalMaxPool':
    case 'GlobalLpPool':
      return c.set(out, xt, xs && [xs[0], xs[1], ...xs.slice(2).map(() => 1)]);
    case 'Gemm': {
      const as = c.shape(n.inputs[0]);
      const bs = c.shape(n.inputs[1]);
      if (!as || !bs) return c.set(out, xt);
      const m = attrInt(n, 'transA', 0) ? as[1] : as[0];
      const nn = attrInt(n, 'transB', 0) ? bs[0] : bs[1];
      return c.set(out, xt, [m, nn]);
    }
    case 'MatMul':
      return c.set(out, xt, matmulShape(xs, c.shape(n.inputs[1])));
    case 'Transpose': {
      if (!xs) return c.set(out, xt);
      const perm = attrInts(
        n,
        'perm',
        xs.map((_, i) => xs.length - 1 - i),
      );
      return c.set(
        out,
        xt,
        perm.map((p) => xs[p]),
      );
    }
    case 'Reshape': {
      const target = c.dimVec(n.inputs[1])?.dims;
      if (!target) {
        const ts = c.shape(n.inputs[1]);
        return c.set(out, xt, ts && typeof ts[0] === 'number' ? new Array<Dim>(ts[0]).fill(null) : undefined);
      }
      const allowzero = attrInt(n, 'allowzero', 0) === 1;
      const shape: Dim[] = target.map((d, i) => (d === 0 && !allowzero ? (xs ? xs[i] : null) : d));
      if (shape.includes(-1) && xs) {
        // Cancel symbolic dims that appear on both sides so [N, -1] of [N, C, 1, 1] gives [N, C].
        const rest = [...xs];
        const known: Dim[] = [];
        for (const d of shape) {
          if (d === -1) continue;
          const k = rest.indexOf(d);
          if (k >= 0) rest.splice(k, 1);
          else known.push(d);
        }
        if (known.length === 0 || known.every((d) => d === 1)) {
          shape[shape.indexOf(-1)] = prodDims(rest);
        }
      }
      const neg = shape.indexOf(-1);
      if (neg >= 0 && shape[neg] === -1) {
        const total = xs ? prodDims(xs) : null;
        const rest = prodDims(shape.filter((_, i) => i !== neg));
        shape[neg] = typeof total === 'number' && typeof rest === 'number' && rest !== 0 ? total / rest : null;
      }
      c.set(out, xt, shape);
      const v = c.constants.get(x);
      if (v && isStatic(shape)) c.fold(out, { ...v, dims: shape });
      return;
    }
    case 'Flatten': {
      if (!xs) return c.set(out, xt, [null, null]);
      const axis = normAxis(attrInt(n, 'axis', 1), xs.length);
      return c.set(out, xt, [prodDims(xs.slice(0, axis)), prodDims(xs.slice(axis))]);
    }
    case 'Squeeze': {
      const axes = c.opset >= 13 ? (n.inputs[1] ? c.ints(n.inputs[1]) : []) : attrInts(n, 'axes', []);
      if (!xs || axes === undefined) return c.set(out, xt);
      let shape: Dim[];
      if (axes.length === 0) {
        if (xs.some((d) => typeof d !== 'number')) return c.set(out, xt);
        shape = xs.filter((d) => d !== 1);
      } else {
        const set = new Set(axes.map((a) => normAxis(a, xs.length)));
        shape = xs.filter((_, i) => !set.has(i));
      }
      c.set(out, xt, shape);
      const v = c.constants.get(x);
      if (v && isStatic(shape)) c.fold(out, { ...v, dims: shape });
      const dv = c.dimVec(x);
      if (!v && dv && dv.dims.length === 1 && shape.length === 0) c.setDimVec(out, dv.dims, true);
      return;
    }
    case 'Unsqueeze': {
      const axes = c.opset >= 13 ? c.ints(n.inputs[1]) : attrInts(n, 'axes', []);
      if (!xs || axes === undefined) return c.set(out, xt);
      const r = xs.length + axes.length;
      const set = new Set(axes.map((a) => normAxis(a, r)));
      const shape: Dim[] = [];
      let j = 0;
      for (let i = 0; i < r; i++) shape.push(set.has(i) ? 1 : xs[j++]);
      c.set(out, xt, shape);
      const v = c.constants.get(x);
      if (v && isStatic(shape)) c.fold(out, { ...v, dims: shape });
      const dv = c.dimVec(x);
      if (!v && dv?.scalar && shape.length === 1) c.setDimVec(out, dv.dims, false);
      return;
    }
    case 'Concat': {
      const shapes = n.inputs.map((i) => c.shape(i));
      if (shapes.some((s) => !s)) return c.set(out, xt);
      const ss = shapes as Dim[][];
      const axis = normAxis(attrInt(n, 'axis', 0), ss[0].length);
      const shape = [...ss[0]];
      let total: Dim = 0;
      for (const s of ss) total = typeof total === 'number' && typeof s[axis] === 'number' ? total + s[axis] : null;
      shape[axis] = total;
      c.set(out, xt, shape);
      const vecs = n.inputs.map((i) => c.dimVec(i));
      if (ss[0].length === 1 && vecs.every((v) => v && !v.scalar)) {
        c.setDimVec(
          out,
          vecs.flatMap((v) => v!.dims),
          false,
        );
      }
      return;
    }
    case 'Split': {
      if (!xs) {
        for (const o of n.outputs) c.set(o, xt);
        return;
      }
      const axis = normAxis(attrInt(n, 'axis', 0), xs.length);
      const split = c.opset >= 13 ? (n.inputs[1] ? c.ints(n.inputs[1]) : undefined) : attrInts(n, 'split');
      const k = n.outputs.length;
      n.outputs.forEach((o, i) => {
        const shape = [...xs];
        const d = xs[axis];
        if (split) shape[axis] = split[i];
        else if (typeof d === 'number') {
          const chunk = Math.ceil(d / k);
          shape[axis] = i < k - 1 ? chunk : d - chunk * (k - 1);
        } else shape[axis] = null;
        c.set(o, xt, shape);
      });
      return;
    }
    case 'Slice':
      return inferSlice(n, c, xs, xt);
    case 'Gather': {
      const is = c.shape(n.inputs[1]);
      if (!xs || !is) return c.set(out, xt);
      const axis = normAxis(attrInt(n, 'axis', 0), xs.length);
      c.set(out, xt, [...xs.slice(0, axis), ...is, ...xs.slice(axis + 1)]);
      const v = c.dimVec(x);
      const idx = c.ints(n.inputs[1]);
      if (v && !v.scalar && idx && is.length <= 1) {
        const picked = idx.map((q) => v.dims[q < 0 ? q + v.dims.length : q]);
        c.setDimVec(out, picked, is.length === 0);
      }
      return;
    }
    case 'Expand': {
      const target = c.dimVec(n.inputs[1])?.dims;
      if (!xs || !target) return c.set(out, xt);
      return c.set(out, xt, broadcastShapes(xs, target));
    }
    case 'Tile': {
      const reps = c.ints(n.inputs[1]);
      if (!xs || !reps)
        return c.set(
          out,
          xt,
          xs?.map(() => null),
        );
      return c.set(
        out,
        xt,
        xs.map((d, i) => (typeof d === 'number' ? d * reps[i] : reps[i] === 1 ? d : null)),
      );
    }
    case 'Pad': {
      const pads = c.opset >= 11 ? c.ints(n.inputs[1]) : attrInts(n, 'pads');
      if (!xs) return c.set(out, xt);
      if (!pads)
        return c.set(
          out,
          xt,
          xs.map(() => null),
        );
      const axes = c.opset >= 18 && n.inputs[3] ? c.ints(n.inputs[3]) : undefined;
      const r = xs.length;
      const ax = axes ? axes.map((a) => normAxis(a, r)) : xs.map((_, i) => i);
      const k = ax.length;
      const shape = [...xs];
      ax.forEach((a, i) => {
        shape[a] = add(xs[a], pads[i] + pads[i + k]);
      });
      return c.set(out, xt, shape);
    }
    case 'Resize':
    case 'Upsample': {
      if (!xs) return c.set(out, xt);
      const sizes = n.inputs[3] ? c.ints(n.inputs[3]) : undefined;
      if (sizes && sizes.length === xs.length) return c.set(out, xt, sizes);
      const scalesName = op === 'Upsample' ? n.inputs[1] : n.inputs[2];
      const sc = scalesName ? c.constants.get(scalesName) : undefined;
      const scales = sc ? toNumberArray(sc.data) : op === 'Upsample' ? undefined : undefined;
      if (!scales || scales.length !== xs.length)
        return c.set(
          out,
          xt,
          xs.map(() => null),
        );
      return c.set(
        out,
        xt,
        xs.map((d, i) => (typeof d === 'number' ? Math.floor(d * scales[i]) : scales[i] === 1 ? d : null)),
      );
    }
    case 'ArgMax':
    case 'ArgMin': {
      if (!xs) return c.set(out, 'int64');
      const axis = normAxis(attrInt(n, 'axis', 0), xs.length);
      const keep = attrInt(n, 'keepdims', 1) === 1;
      const shape = keep ? xs.map((d, i) => (i === axis ? 1 : d)) : xs.filter((_, i) => i !== axis);
      return c.set(out, 'int64', shape);
    }
    case 'Range':
      return c.set(out, xt, [null]);
    case 'TopK': {
      const k = c.ints(n.inputs[1]);
      const shape = xs && [...xs];
      if (shape) shape[normAxis(attrInt(n, 'axis', -1), shape.length)] = k ? k[0] : null;
      c.set(out, xt, shape);
      if (n.outputs[1]) c.set(n.outputs[1], 'int64', shape && [...shape]);
      return;
    }
    case 'DepthToSpace':
    case 'SpaceToDepth': {
      if (!xs) return c.set(out, xt);
      const b = attrInt(n, 'blocksize', 1);
      const up = op === 'DepthToSpace';
      const mulDim = (d: Dim, f: number) => (typeof d === 'number' ? d * f : null);
      const divDim = (d: Dim, f: number) => (typeof d === 'number' ? d / f : null);
      return c.set(out, xt, [
        xs[0],
        up ? divDim(xs[1], b * b) : mulDim(xs[1], b * b),
        ...xs.slice(2).map((d) => (up ? mulDim(d, b) : divDim(d, b))),
      ]);
    }
    default:
      // Unknown op: dtype guess from the first input, rank unknown.
      for (const o of n.outputs) c.set(o, xt);
  }
}

function foldArith(n: Node, c: Ctx): void {
  const op = n.opType;
  if (op !== 'Add' && op !== 'Sub' && op !== 'Mul' && op !== 'Div') return;
  const a = c.constants.get(n.inputs[0]);
  const b = c.constants.get(n.inputs[1]);
  if (!a || !b || a.dtype !== 'int64' || b.dtype !== 'int64' || a.dims.length > 1 || b.dims.length > 1) return;
  const av = toNumberArray(a.data);
  const bv = toNumberArray(b.data);
  const len = Math.max(av.length, bv.length);
  if (av.length !== len && av.length !== 1) return;
  if (bv.length !== len && bv.length !== 1) return;
  const r: number[] = [];
  for (let i = 0; i < len; i++) {
    const p = av[av.length === 1 ? 0 : i];
    const q = bv[bv.length === 1 ? 0 : i];
    r.push(op === 'Add' ? p + q : op === 'Sub' ? p - q : op === 'Mul' ? p * q : Math.trunc(p / q));
  }
  c.fold(n.outputs[0], i64(r, a.dims.length || b.dims.length ? [len] : []));
}

function spatialParams(n: Node, rank: number, kernel: number[]) {
  const k = kernel.length;
  return {
    strides: attrInts(n, 'strides', new Array(k).fill(1)),
    dilations: attrInts(n, 'dilations', new Array(k).fill(1)),
    pads: attrInts(n, 'pads', new Array(2 * k).fill(0)),
    autoPad: attrString(n, 'auto_pad', 'NOTSET'),
    rank,
  };
}

function windowOut(
  d: Dim,
  k: number,
  s: number,
  dil: number,
  pb: number,
  pe: number,
  autoPad: string,
  ceil: boolean,
): Dim {
  const ek = dil * (k - 1) + 1;
  if (typeof d === 'string') {
    // Symbolic: a canonical expression, so that two branches with the same arithmetic (a 3x3/2 pad-1
    // conv and a 1x1/2 conv) get equal dims and broadcasting decisions stay static.
    if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') return symDiv(d, 0, s, 'ceil');
    const a = autoPad === 'VALID' ? -ek : pb + pe - ek;
    return symAffine(symDiv(d, a, s, ceil ? 'ceil' : 'floor'), 1);
  }
  if (d === null) return null;
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') return Math.ceil(d / s);
  if (autoPad === 'VALID') return Math.floor((d - ek) / s) + 1;
  const num = d + pb + pe - ek;
  let o = ceil ? Math.ceil(num / s) + 1 : Math.floor(num / s) + 1;
  // With ceil_mode the last window must start inside the (left-padded) input.
  if (ceil && (o - 1) * s >= d + pb) o--;
  return o;
}

function convShape(n: Node, xs: Dim[] | undefined, ws: Dim[] | undefined): Dim[] | undefined {
  if (!xs) return undefined;
  const kernel = attrInts(n, 'kernel_shape') ?? (isStatic(ws) ? ws.slice(2) : undefined);
  const m = ws ? ws[0] : null;
  if (!kernel) return [xs[0], m, ...xs.slice(2).map(() => null)];
  const p = spatialParams(n, xs.length, kernel);
  const k = kernel.length;
  return [
    xs[0],
    m,
    ...kernel.map((kk, i) =>
      windowOut(xs[2 + i], kk, p.strides[i], p.dilations[i], p.pads[i], p.pads[i + k], p.autoPad, false),
    ),
  ];
}

function convTransposeShape(n: Node, xs: Dim[] | undefined, ws: Dim[] | undefined): Dim[] | undefined {
  if (!xs) return undefined;
  const group = attrInt(n, 'group', 1);
  const m = ws && typeof ws[1] === 'number' ? ws[1] * group : null;
  const kernel = attrInts(n, 'kernel_shape') ?? (isStatic(ws) ? ws.slice(2) : undefined);
  const outShape = attrInts(n, 'output_shape');
  if (outShape) return [xs[0], m, ...outShape.slice(-(xs.length - 2))];
  if (!kernel) return [xs[0], m, ...xs.slice(2).map(() => null)];
  const k = kernel.length;
  const p = spatialParams(n, xs.length, kernel);
  const op = attrInts(n, 'output_padding', new Array(k).fill(0));
  return [
    xs[0],
    m,
    ...kernel.map((kk, i) => {
      const d = xs[2 + i];
      const st = p.strides[i];
      const pads = p.autoPad === 'VALID' ? 0 : p.pads[i] + p.pads[i + k];
      const same = p.autoPad === 'SAME_UPPER' || p.autoPad === 'SAME_LOWER';
      if (typeof d === 'string') {
        const scaled = st === 1 ? d : `${st}*(${d})`;
        return same ? scaled : symAffine(scaled, -st + op[i] + (kk - 1) * p.dilations[i] + 1 - pads);
      }
      if (d === null) return null;
      if (same) return d * st;
      return st * (d - 1) + op[i] + (kk - 1) * p.dilations[i] + 1 - pads;
    }),
  ];
}

function poolShape(n: Node, xs: Dim[] | undefined): Dim[] | undefined {
  if (!xs) return undefined;
  const kernel = attrInts(n, 'kernel_shape', []);
  const k = kernel.length;
  const p = spatialParams(n, xs.length, kernel);
  const ceil = attrInt(n, 'ceil_mode', 0) === 1;
  return [
    xs[0],
    xs[1],
    ...kernel.map((kk, i) =>
      windowOut(xs[2 + i], kk, p.strides[i], p.dilations[i], p.pads[i], p.pads[i + k], p.autoPad, ceil),
    ),
  ];
}

/** Splits a symbolic dim 'E+3' / 'E-1' into its base expression and integer offset. */
function symSplit(d: string): [string, number] {
  const m = /^(.*[^+-])([+-]\d+)$/.exec(d);
  if (!m || !/[A-Za-z_)]$/.test(m[1])) return [d, 0];
  return [m[1], Number(m[2])];
}

/** Symbolic d + c, folding into an existing trailing offset. */
export function symAffine(d: string, c: number): string {
  const [base, k] = symSplit(d);
  const t = k + c;
  return t === 0 ? base : `${base}${t > 0 ? '+' : ''}${t}`;
}

/** Symbolic floor or ceil of (d + a) / s. */
function symDiv(d: string, a: number, s: number, mode: 'floor' | 'ceil'): string {
  const num = symAffine(d, a);
  if (s === 1) return num;
  return mode === 'floor' ? `floor((${num})/${s})` : `ceil((${num})/${s})`;
}

function matmulShape(a: Dim[] | undefined, b: Dim[] | undefined): Dim[] | undefined {
  if (!a || !b) return undefined;
  const a2 = a.length === 1 ? [1, a[0]] : a;
  const b2 = b.length === 1 ? [b[0], 1] : b;
  const batch = broadcastShapes(a2.slice(0, -2), b2.slice(0, -2));
  const out = [...batch, a2[a2.length - 2], b2[b2.length - 1]];
  if (a.length === 1) out.splice(out.length - 2, 1);
  if (b.length === 1) out.pop();
  return out;
}

function inferSlice(n: Node, c: Ctx, xs: Dim[] | undefined, xt: DataType): undefined {
  const out = n.outputs[0];
  if (!xs) return c.set(out, xt);
  let starts: number[] | undefined;
  let ends: number[] | undefined;
  let axes: number[] | undefined;
  let steps: number[] | undefined;
  if (c.opset >= 10) {
    starts = c.ints(n.inputs[1]);
    ends = c.ints(n.inputs[2]);
    axes = n.inputs[3] ? c.ints(n.inputs[3]) : undefined;
    steps = n.inputs[4] ? c.ints(n.inputs[4]) : undefined;
    if ((n.inputs[3] && !axes) || (n.inputs[4] && !steps))
      return c.set(
        out,
        xt,
        xs.map(() => null),
      );
  } else {
    starts = attrInts(n, 'starts');
    ends = attrInts(n, 'ends');
    axes = attrInts(n, 'axes');
  }
  if (!starts || !ends)
    return c.set(
      out,
      xt,
      xs.map(() => null),
    );
  const r = xs.length;
  const ax = (axes ?? starts.map((_, i) => i)).map((a) => normAxis(a, r));
  const st = steps ?? starts.map(() => 1);
  const shape = [...xs];
  ax.forEach((a, i) => {
    const d = xs[a];
    if (typeof d !== 'number') {
      shape[a] = null;
      return;
    }
    const range = sliceRange(d, starts![i], ends![i], st[i]);
    shape[a] = range.length;
  });
  c.set(out, xt, shape);
  const v = c.dimVec(n.inputs[0]);
  if (v && !v.scalar && ax.length === 1) {
    const range = sliceRange(v.dims.length, starts[0], ends[0], st[0]);
    c.setDimVec(
      out,
      range.indices.map((q) => v.dims[q]),
      false,
    );
  }
}

/** Clamped index range of a Slice along one axis (ONNX semantics). */
export function sliceRange(
  d: number,
  start: number,
  end: number,
  step: number,
): { length: number; indices: number[]; start: number } {
  const clampS = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
  let s = start < 0 ? start + d : start;
  let e = end < 0 ? end + d : end;
  if (step > 0) {
    s = clampS(s, 0, d);
    e = clampS(e, 0, d);
  } else {
    s = clampS(s, 0, d - 1);
    e = clampS(e, -1, d - 1);
  }
  const indices: number[] = [];
  if (step > 0) for (let i = s; i < e; i += step) indices.push(i);
  else for (let i = s; i > e; i += step) indices.push(i);
  return { length: indices.length, indices, start: s };
}
