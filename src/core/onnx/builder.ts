/**
 * GraphBuilder: the way to create or extend ONNX graphs.
 *
 *   const g = new GraphBuilder({ opset: 17 });
 *   const x = g.input('x', 'float32', [1, 3, 'H', 'W']);
 *   const w = g.initializer('w', new Float32Array(8 * 3 * 3 * 3), [8, 3, 3, 3]);
 *   const y = g.node('Conv', [x, w], { strides: [2, 2], pads: [1, 1, 1, 1], dilations: [1, 1], group: 1 });
 *   g.output(y, { name: 'y' });
 *   const bytes = saveModel(g.build());
 *
 * Every value is a string name. Names passed in are made unique (a suffix is added on collision), so
 * always use the returned name. Attributes are plain JS values; see attributes.ts for INT vs FLOAT.
 */
import { FindableError } from '../errors.ts';
import { type AttrInput, toAttributes } from './attributes.ts';
import { dtypeOfArray } from './dtypes.ts';
import type { DataType, Dim, Initializer, Model, Node, TensorArray, ValueInfo } from './model.ts';
import { inferShapes } from './shapes.ts';

export interface BuilderOptions {
  /** ai.onnx opset version (default 17). */
  opset?: number;
  /** Extra opset imports, e.g. [{ domain: 'com.microsoft', version: 1 }]. */
  extraOpsets?: { domain: string; version: number }[];
  name?: string;
  producerName?: string;
  /** Default 8 (ONNX 1.10+, accepted by onnxruntime 1.x). */
  irVersion?: number;
}

export interface NodeOptions {
  /** Node name (made unique); defaults to `${opType}_${n}`. */
  name?: string;
  domain?: string;
  /** Output names (made unique); defaults to generated names. */
  outputs?: string[];
}

export interface OutputOptions {
  /**
   * Graph output name. If it differs from the value name, the value is renamed where a node of this builder
   * produces it; otherwise (a graph input, an initializer, an existing output) an Identity node is added.
   */
  name?: string;
  /** Defaults to the inferred dtype / shape. */
  dtype?: DataType;
  shape?: Dim[];
}

export class GraphBuilder {
  readonly nodes: Node[] = [];
  readonly initializers: Initializer[] = [];
  readonly inputs: ValueInfo[] = [];
  readonly outputs: (ValueInfo & { inferDtype?: boolean; inferShape?: boolean })[] = [];
  readonly valueInfo: ValueInfo[] = [];
  private readonly used = new Set<string>();
  /** Values renamed by output(): old name -> new name, so later references still resolve. */
  private readonly renamed = new Map<string, string>();
  private readonly counters = new Map<string, number>();
  private readonly base: Omit<Model, 'graph'>;
  private readonly graphName: string;

  constructor(opts: BuilderOptions = {}) {
    this.base = {
      irVersion: opts.irVersion ?? 8,
      opsetImports: [{ domain: '', version: opts.opset ?? 17 }, ...(opts.extraOpsets ?? [])],
      producerName: opts.producerName ?? 'findable',
      producerVersion: '',
      metadata: {},
    };
    this.graphName = opts.name ?? 'graph';
  }

  /**
   * Starts from an existing model (nodes, initializers, inputs and outputs are copied shallowly;
   * tensor data is shared, not copied). Used to extend a graph, e.g. with gradient nodes.
   */
  static fromModel(model: Model): GraphBuilder {
    const g = new GraphBuilder({ name: model.graph.name });
    Object.assign(g.base, {
      irVersion: model.irVersion,
      opsetImports: model.opsetImports.map((o) => ({ ...o })),
      producerName: model.producerName,
      producerVersion: model.producerVersion,
      metadata: { ...model.metadata },
    });
    const gr = model.graph;
    for (const i of gr.initializers) g.initializers.push(i);
    for (const i of gr.inputs) g.inputs.push({ ...i, shape: i.shape && [...i.shape] });
    for (const o of gr.outputs) g.outputs.push({ ...o, shape: o.shape && [...o.shape] });
    for (const v of gr.valueInfo) g.valueInfo.push(v);
    for (const n of gr.nodes) g.nodes.push({ ...n, inputs: [...n.inputs], outputs: [...n.outputs] });
    for (const name of [
      ...gr.initializers.map((i) => i.name),
      ...gr.inputs.map((i) => i.name),
      ...gr.nodes.flatMap((n) => [...n.outputs, n.name]),
    ]) {
      g.used.add(name);
    }
    return g;
  }

  get opset(): number {
    return this.base.opsetImports.find((o) => o.domain === '')?.version ?? 0;
  }

  /** Returns `base` if unused, else `base_1`, `base_2`...; reserves the returned name. */
  uniqueName(base: string): string {
    let name = base;
    if (this.used.has(name)) {
      let k = this.counters.get(base) ?? 0;
      do name = `${base}_${++k}`;
      while (this.used.has(name));
      this.counters.set(base, k);
    }
    this.used.add(name);
    return name;
  }

  /** Whether a value or node name is already taken. */
  has(name: string): boolean {
    return this.used.has(name);
  }

  input(name: string, dtype: DataType, shape?: Dim[]): string {
    if (this.used.has(name)) throw new FindableError('INVALID_ARGUMENT', `Graph input name '${name}' is already used.`);
    this.used.add(name);
    this.inputs.push(shape ? { name, dtype, shape: [...shape] } : { name, dtype });
    return name;
  }

  /**
   * Adds a constant tensor. `dims` defaults to [data.length]; dtype defaults from the array type
   * (Uint8Array -> uint8; pass 'bool' or 'float16' explicitly when meant). Plain number arrays
   * become float32. Returns the (possibly suffixed) name.
   */
  initializer(name: string, data: TensorArray | number[], dims?: number[], dtype?: DataType): string {
    const arr: TensorArray =
      Array.isArray(data) && typeof data[0] !== 'string' ? Float32Array.from(data as number[]) : (data as TensorArray);
    const d = dims ?? [arr.length];
    const n = d.reduce((a, b) => a * b, 1);
    if (n !== arr.length) {
      throw new FindableError('SHAPE_MISMATCH', `Initializer '${name}': ${arr.length} values for dims [${d}].`);
    }
    const unique = this.uniqueName(name);
    this.initializers.push({ name: unique, dtype: dtype ?? dtypeOfArray(arr), dims: [...d], data: arr });
    return unique;
  }

  /** float32 constant; a scalar (dims []) when given a number. */
  constFloat(values: number | number[] | Float32Array, dims?: number[], name = 'const'): string {
    if (typeof values === 'number') return this.initializer(name, Float32Array.of(values), dims ?? []);
    return this.initializer(name, Float32Array.from(values), dims);
  }

  /** int64 constant (shapes, axes, Slice bounds); a scalar when given a number. */
  constInt64(values: number | number[] | bigint[] | BigInt64Array, dims?: number[], name = 'const_i64'): string {
    if (typeof values === 'number') return this.initializer(name, BigInt64Array.of(BigInt(values)), dims ?? []);
    const arr =
      values instanceof BigInt64Array
        ? values
        : BigInt64Array.from((values as (number | bigint)[]).map((v) => BigInt(v)));
    return this.initializer(name, arr, dims);
  }

  /** Adds a node with one output and returns the output name. */
  node(opType: string, inputs: string[], attrs?: Record<string, AttrInput | undefined>, opts?: NodeOptions): string {
    return this.nodeN(opType, inputs, 1, attrs, opts)[0];
  }

  /** Adds a node with `nOutputs` outputs and returns their names. */
  nodeN(
    opType: string,
    inputs: string[],
    nOutputs: number,
    attrs?: Record<string, AttrInput | undefined>,
    opts: NodeOptions = {},
  ): string[] {
    const name = this.uniqueName(opts.name ?? opType);
    const outputs = opts.outputs
      ? opts.outputs.map((o) => this.uniqueName(o))
      : Array.from({ length: nOutputs }, (_, i) => this.uniqueName(nOutputs === 1 ? `${name}_out` : `${name}_out${i}`));
    this.nodes.push({
      name,
      opType,
      domain: opts.domain ?? '',
      inputs: inputs.map((i) => this.renamed.get(i) ?? i),
      outputs,
      attributes: toAttributes(attrs),
    });
    return outputs;
  }

  /** Declares a graph output. dtype / shape default to the inferred ones at build(). */
  output(valueIn: string, opts: OutputOptions = {}): string {
    const value = this.renamed.get(valueIn) ?? valueIn;
    let name = value;
    if (opts.name && opts.name !== value) {
      if (this.used.has(opts.name)) {
        throw new FindableError('INVALID_ARGUMENT', `Graph output name '${opts.name}' is already used.`);
      }
      name =
        this.renameProduced(value, opts.name) ?? this.node('Identity', [value], undefined, { outputs: [opts.name] });
    }
    this.outputs.push({
      name,
      dtype: opts.dtype ?? 'float32',
      shape: opts.shape && [...opts.shape],
      inferDtype: opts.dtype === undefined,
      inferShape: opts.shape === undefined,
    });
    return name;
  }

  /**
   * Renames `value` to `name` in every node when one of them produces it and it is not yet a graph output:
   * the output then needs no Identity, which onnxruntime runs as a copy of the whole tensor.
   */
  private renameProduced(value: string, name: string): string | undefined {
    if (!this.nodes.some((node) => node.outputs.includes(value))) return undefined;
    if (this.outputs.some((o) => o.name === value)) return undefined;
    this.used.add(name);
    for (const node of this.nodes) {
      for (const names of [node.inputs, node.outputs]) {
        for (let i = 0; i < names.length; i++) if (names[i] === value) names[i] = name;
      }
    }
    for (const info of this.valueInfo) if (info.name === value) info.name = name;
    this.renamed.set(value, name);
    return name;
  }

  /** Drops all graph outputs (e.g. to replace them with new ones). */
  clearOutputs(): void {
    this.outputs.length = 0;
  }

  build(): Model {
    const outputs: ValueInfo[] = this.outputs.map(({ inferDtype: _a, inferShape: _b, ...o }) => o);
    const model: Model = {
      ...this.base,
      opsetImports: this.base.opsetImports.map((o) => ({ ...o })),
      metadata: { ...this.base.metadata },
      graph: {
        name: this.graphName,
        nodes: [...this.nodes],
        initializers: [...this.initializers],
        inputs: [...this.inputs],
        outputs,
        valueInfo: [...this.valueInfo],
      },
    };
    if (this.outputs.some((o) => o.inferDtype || o.inferShape)) {
      const info = inferShapes(model).types;
      this.outputs.forEach((o, i) => {
        const t = info.get(o.name);
        if (!t) return;
        if (o.inferDtype) outputs[i].dtype = t.dtype;
        if (o.inferShape) outputs[i].shape = t.shape && [...t.shape];
      });
    }
    return model;
  }
}
