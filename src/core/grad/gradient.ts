/**
 * Reverse-mode differentiation of ONNX graphs into ordinary ONNX graphs.
 *
 * The forward graph is kept as is; for every node on a path from `wrt` to `of`, its VJP rule
 * (rules/*.ts) appends nodes computing the gradients of its inputs from the gradients of its outputs.
 * Contributions to one value are summed with Add. The result runs on any ONNX runtime.
 */
import { FindableError } from '../errors.ts';
import { GraphBuilder } from '../onnx/builder.ts';
import type { Dim, Model, Node } from '../onnx/model.ts';
import { inferShapes, type ShapeInfo } from '../onnx/shapes.ts';
import { topologicalSort } from '../onnx/topo.ts';
import { VjpContext } from './context.ts';
import { NON_DIFFERENTIABLE, VJP_RULES } from './rules/registry.ts';

export interface AppendGradientOptions {
  /** Value to differentiate. */
  of: string;
  /** Values to differentiate with respect to (graph inputs or intermediate values). */
  wrt: string[];
  /** Gradient flowing into `of` (same shape). */
  seed: string;
  /** Shape information for the builder's current graph (computed when omitted). */
  info?: ShapeInfo;
  /** Input shapes used for inference when `info` is omitted. */
  inputShapes?: Record<string, Dim[]>;
}

const FLOAT_TYPES = new Set(['float32', 'float64', 'float16']);

/**
 * Appends gradient nodes to `g` and returns, for each `wrt`, the name of its gradient value
 * (zeros when `of` does not depend on it).
 */
export function appendGradient(g: GraphBuilder, opts: AppendGradientOptions): string[] {
  if (g.opset < 13) {
    throw new FindableError('MODEL_INVALID', `Gradient graphs need ai.onnx opset >= 13 (model has ${g.opset}).`);
  }
  const forward = g.build();
  const info = opts.info ?? inferShapes(forward, opts.inputShapes);
  const order = topologicalSort(forward.graph);
  const isFloat = (v: string) => FLOAT_TYPES.has(info.types.get(v)?.dtype ?? 'float32');

  // Values that depend on some wrt through differentiable float values.
  const active = new Set<string>(opts.wrt);
  for (const n of order) {
    if (NON_DIFFERENTIABLE.has(n.opType)) continue;
    if (!n.inputs.some((i) => i && active.has(i))) continue;
    for (const o of n.outputs) if (o && isFloat(o)) active.add(o);
  }

  const grads = new Map<string, string>();
  const accumulate = (v: string, grad: string) => {
    const prev = grads.get(v);
    grads.set(v, prev ? g.node('Add', [prev, grad], undefined, { name: `grad/acc/${v}` }) : grad);
  };
  const shapeCache = new Map<string, string>();
  if (active.has(opts.of)) accumulate(opts.of, opts.seed);

  for (let k = order.length - 1; k >= 0; k--) {
    const n: Node = order[k];
    const outGrads = n.outputs.map((o) => (o ? grads.get(o) : undefined));
    if (outGrads.every((x) => x === undefined)) continue;
    const activeInputs = n.inputs.map((i) => i !== '' && active.has(i) && isFloat(i));
    if (!activeInputs.some(Boolean)) continue;
    const rule = VJP_RULES[n.opType];
    if (!rule || (n.domain !== '' && n.domain !== 'ai.onnx')) {
      throw new FindableError(
        'OP_UNSUPPORTED',
        `No gradient rule for op ${n.domain ? `${n.domain}.` : ''}${n.opType} (node '${n.name}').`,
        { opType: n.opType, node: n.name },
      );
    }
    const ctx = new VjpContext(
      g,
      info,
      n,
      outGrads,
      activeInputs,
      (i, grad) => accumulate(n.inputs[i], grad),
      shapeCache,
    );
    rule(ctx);
  }

  return opts.wrt.map((w) => {
    const gw = grads.get(w);
    if (gw) return gw;
    const zero = g.initializer('grad_zero', Float32Array.of(0), [], info.types.get(w)?.dtype ?? 'float32');
    const sh = g.node('Shape', [w]);
    return g.node('Expand', [zero, sh], undefined, { name: `grad/zeros/${w}` });
  });
}

export interface GradientModelOptions {
  /** Output (or any value) to differentiate; default: the model's first output. */
  of?: string;
  /** Input(s) to differentiate with respect to; default: the model's first non-initializer input. */
  wrt?: string | string[];
  /**
   * 'sum' (default): differentiate the sum of `of`'s elements (the plain gradient for a scalar).
   * 'input': add a graph input `${of}_grad` (shape of `of`) with the upstream gradient.
   */
  upstream?: 'sum' | 'input';
  /** Names of the gradient outputs; default `${wrt}_grad`. */
  gradNames?: string[];
  /** Keep the forward outputs (default true); otherwise only gradients are outputs. */
  keepOutputs?: boolean;
  /** Shapes for inference (symbolic dims are fine where no broadcast decision depends on them). */
  inputShapes?: Record<string, Dim[]>;
}

export interface GradientModel {
  model: Model;
  /** Gradient output names, one per wrt. */
  gradOutputs: string[];
  /** Name of the upstream-gradient input when upstream = 'input'. */
  upstreamInput?: string;
}

/** Builds a model computing the forward outputs plus d(of)/d(wrt). */
export function gradientModel(model: Model, opts: GradientModelOptions = {}): GradientModel {
  const g = GraphBuilder.fromModel(model);
  const inits = new Set(model.graph.initializers.map((i) => i.name));
  const of = opts.of ?? model.graph.outputs[0]?.name;
  const wrt = typeof opts.wrt === 'string' ? [opts.wrt] : (opts.wrt ?? []);
  if (wrt.length === 0) {
    const first = model.graph.inputs.find((i) => !inits.has(i.name));
    if (first) wrt.push(first.name);
  }
  if (!of || wrt.length === 0)
    throw new FindableError('INVALID_ARGUMENT', 'gradientModel needs an output and an input.');
  const info = inferShapes(model, opts.inputShapes);
  const ofType = info.types.get(of);
  if (!ofType) throw new FindableError('INVALID_ARGUMENT', `Value '${of}' is not in the graph.`);
  let seed: string;
  let upstreamInput: string | undefined;
  if (opts.upstream === 'input') {
    upstreamInput = g.input(
      g.has(`${of}_grad`) ? g.uniqueName(`${of}_grad`) : `${of}_grad`,
      ofType.dtype,
      ofType.shape,
    );
    seed = upstreamInput;
  } else {
    const one = g.initializer(
      'grad_one',
      ofType.dtype === 'float64' ? Float64Array.of(1) : Float32Array.of(1),
      [],
      ofType.dtype,
    );
    seed = g.node('Expand', [one, g.node('Shape', [of])], undefined, { name: 'grad/seed' });
  }
  const grads = appendGradient(g, { of, wrt, seed, info: inferShapes(g.build(), opts.inputShapes) });
  if (opts.keepOutputs === false) g.clearOutputs();
  const gradOutputs = grads.map((gv, i) => g.output(gv, { name: opts.gradNames?.[i] ?? `${wrt[i]}_grad` }));
  return { model: g.build(), gradOutputs, upstreamInput };
}
