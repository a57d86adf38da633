/**
 * VjpContext: what a vector-Jacobian-product rule sees while the gradient graph is being built — the
 * forward node, the incoming output gradients, which inputs need gradients, shape information, and
 * small helpers that emit ONNX ops (opset 13-17 forms) into the shared GraphBuilder.
 */
import { FindableError } from '../errors.ts';
import type { AttrInput } from '../onnx/attributes.ts';
import type { GraphBuilder } from '../onnx/builder.ts';
import type { DataType, Dim, Node } from '../onnx/model.ts';
import type { ShapeInfo } from '../onnx/shapes.ts';

export class VjpContext {
  constructor(
    readonly g: GraphBuilder,
    readonly info: ShapeInfo,
    readonly node: Node,
    private readonly outGrads: (string | undefined)[],
    private readonly activeInputs: boolean[],
    private readonly sink: (inputIndex: number, grad: string) => void,
    private readonly shapeCache: Map<string, string>,
  ) {}

  get opset(): number {
    return this.g.opset;
  }

  /** Name of forward input i ('' when omitted). */
  x(i = 0): string {
    return this.node.inputs[i] ?? '';
  }

  /** Name of forward output i. */
  y(i = 0): string {
    return this.node.outputs[i] ?? '';
  }

  /** Gradient flowing into output i, or undefined when nothing downstream depends on it. */
  gy(i = 0): string | undefined {
    return this.outGrads[i];
  }

  /** Gradient of output 0, which every single-output rule may assume exists. */
  get grad(): string {
    const g = this.outGrads[0];
    if (!g) throw new Error('internal: VJP rule called without an output gradient');
    return g;
  }

  /** Whether input i needs a gradient (it depends on the differentiated input). */
  needs(i: number): boolean {
    return this.activeInputs[i] === true;
  }

  /** Records the gradient of input i (contributions to the same value are summed by the driver). */
  add(i: number, grad: string): void {
    if (this.needs(i)) this.sink(i, grad);
  }

  shape(v: string): Dim[] | undefined {
    return this.info.types.get(v)?.shape;
  }

  /** Static shape of v or undefined if any dim is symbolic / unknown. */
  staticShape(v: string): number[] | undefined {
    const s = this.shape(v);
    return s?.every((d) => typeof d === 'number') ? (s as number[]) : undefined;
  }

  rank(v: string): number {
    const s = this.shape(v);
    if (!s) throw this.shapeError(`the rank of '${v}' is unknown`);
    return s.length;
  }

  /** dtype of v; values created by rules (gradients) are not in `info` and take the node output's dtype. */
  dtype(v: string): DataType {
    return this.info.types.get(v)?.dtype ?? this.info.types.get(this.y())?.dtype ?? 'float32';
  }

  /** Constant integer values of v (initializer or folded), if known. */
  constInts(v: string): number[] | undefined {
    const t = v ? this.info.constants.get(v) : undefined;
    if (!t || Array.isArray(t.data)) return undefined;
    return Array.from(t.data as ArrayLike<number | bigint>, Number);
  }

  unsupported(reason: string): FindableError {
    const n = this.node;
    return new FindableError('OP_UNSUPPORTED', `Cannot differentiate ${n.opType} node '${n.name}': ${reason}.`, {
      opType: n.opType,
      node: n.name,
    });
  }

  shapeError(reason: string): FindableError {
    const n = this.node;
    return new FindableError(
      'SHAPE_MISMATCH',
      `Cannot differentiate ${n.opType} node '${n.name}': ${reason} (give static input shapes).`,
      { opType: n.opType, node: n.name },
    );
  }

  // ------------------------------------------------------------ op emitters

  /** Emits one node; its name is derived from the forward node for readable graphs. */
  op(opType: string, inputs: string[], attrs?: Record<string, AttrInput | undefined>): string {
    return this.g.node(opType, inputs, attrs, { name: `grad/${this.node.name || this.node.opType}/${opType}` });
  }

  /** Scalar constant with the dtype of `like`. */
  scalar(value: number, like: string): string {
    const dtype = this.dtype(like);
    const data = dtype === 'float64' ? Float64Array.of(value) : Float32Array.of(value);
    if (dtype !== 'float32' && dtype !== 'float64') throw this.unsupported(`gradients of ${dtype} values`);
    return this.g.initializer('grad_c', data, [], dtype);
  }

  /** Float constant tensor with the dtype of `like`. */
  tensor(values: ArrayLike<number>, dims: number[], like: string): string {
    const dtype = this.dtype(like);
    const data = dtype === 'float64' ? Float64Array.from(values) : Float32Array.from(values);
    return this.g.initializer('grad_w', data, dims, dtype);
  }

  ints(values: number[]): string {
    return this.g.constInt64(values, undefined, 'grad_i');
  }

  /** Shape(v) as an int64 vector (one node per value, reused; a constant when v is static). */
  shapeOf(v: string): string {
    const cached = this.shapeCache.get(v);
    if (cached) return cached;
    const st = this.staticShape(v);
    const s = st ? this.ints(st) : this.op('Shape', [v]);
    this.shapeCache.set(v, s);
    return s;
  }

  /** Shape(v)[start:end] as int64 vector. */
  shapeSlice(v: string, start: number, end?: number): string {
    const st = this.staticShape(v);
    if (st) return this.ints(st.slice(start, end));
    return this.op('Slice', [this.shapeOf(v), this.ints([start]), this.ints([end ?? 2 ** 31 - 1])]);
  }

  reshape(v: string, shapeOfTarget: string): string {
    return this.op('Reshape', [v, shapeOfTarget]);
  }

  /** Reshape `v` to the shape of value `like`. */
  reshapeLike(v: string, like: string): string {
    return this.reshape(v, this.shapeOf(like));
  }

  reduceSum(v: string, axes: number[], keepdims: boolean): string {
    if (axes.length === 0) return v;
    return this.op('ReduceSum', [v, this.ints(axes)], { keepdims: keepdims ? 1 : 0 });
  }

  unsqueeze(v: string, axes: number[]): string {
    if (axes.length === 0) return v;
    return this.op('Unsqueeze', [v, this.ints(axes)]);
  }

  squeeze(v: string, axes: number[]): string {
    if (axes.length === 0) return v;
    return this.op('Squeeze', [v, this.ints(axes)]);
  }

  /** Expand `v` to the shape of `like`. */
  expandLike(v: string, like: string): string {
    return this.op('Expand', [v, this.shapeOf(like)]);
  }

  zerosLike(like: string): string {
    return this.expandLike(this.scalar(0, like), like);
  }

  /**
   * Sums `grad` (shaped like the broadcast result `result`) over the axes along which `target` was
   * broadcast, so that it has target's shape. Axes are decided statically from the inferred shapes.
   */
  unbroadcast(grad: string, result: string | Dim[], target: string, others: string[] = []): string {
    const rs = typeof result === 'string' ? this.shape(result) : result;
    const ts = this.shape(target);
    if (!rs || !ts) throw this.shapeError(`the ranks of '${result}' and '${target}' are unknown`);
    const lead = rs.length - ts.length;
    // An axis where every other operand has size 1 (or does not reach) cannot broadcast the target.
    const otherShapes = others.map((o) => this.shape(o));
    const othersTrivial = (i: number) =>
      others.length > 0 &&
      otherShapes.every((os) => {
        if (!os) return false;
        const j = i - (rs.length - os.length);
        return j < 0 || os[j] === 1;
      });
    const axes: number[] = [];
    for (let i = 0; i < rs.length; i++) {
      if (i < lead) {
        axes.push(i);
        continue;
      }
      const t = ts[i - lead];
      const r = rs[i];
      if (t === r && t !== null) continue;
      if (t === 1) {
        if (r !== 1) axes.push(i);
        continue;
      }
      if (typeof t === 'number' || r === 1 || othersTrivial(i)) continue;
      throw this.shapeError(`cannot tell whether '${target}' is broadcast along axis ${i}`);
    }
    if (axes.length === 0) return grad;
    const summed = this.reduceSum(
      grad,
      axes.filter((a) => a >= lead),
      true,
    );
    const all = this.reduceSum(
      summed,
      axes.filter((a) => a < lead),
      false,
    );
    return all;
  }
}
