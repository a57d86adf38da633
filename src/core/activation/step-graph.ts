/**
 * The activation step as one ordinary ONNX graph (onnxruntime-web has no autograd): its inputs are the
 * optimisation state, its outputs the next state. Running it N times is N Adam steps of method.md
 * section 2; the state tensors can stay on the GPU between runs (gpu-buffer outputs fed back as inputs).
 *
 * Inputs (float32; H, W = working resolution, dynamic; S = the extractor's static input size;
 * V = number of views, fixed when the graph is built: StepGraphOptions.views, default 1):
 *   delta, adam_m, adam_v   [1,3,H,W]   optimisation variable and Adam moments
 *   step                    [1]         Adam step number t, 1-based (bias correction)
 *   lr                      [1]         learning rate
 *   x_orig                  [1,3,H,W]   original image, ImageNet-normalised
 *   jnd                     [1,1,H,W]   JND map H / 255 (src/core/image/jnd.ts)
 *   resize_rows             [V,S,H]     per view: row interpolation matrix (src/core/image/resize.ts layout:
 *                                       out x in), possibly of a crop window and/or blurred (views.ts)
 *   resize_cols             [V,S,W]     per view: column interpolation matrix (out x in)
 *   view_color              [V,3,3]     per view: colour matrix C applied to each RGB pixel as a row vector
 *   view_mean               [V,3,3]     per view: matrix B applied to the view's mean colour m (row vector)
 *   view_weight             [V]         per view: weight of its cosine in the feature loss (sum 1)
 *   target                  [1,D]       q(x_o), the quantizer's reconstruction of the original feature
 *   alpha, lambda_f, lambda_i [1]       strength and loss weights
 * Outputs:
 *   delta_next, adam_m_next, adam_v_next [1,3,H,W]; loss, feature_loss, image_loss, cosine [1];
 *   unit_mse [1] (mean squared change in [0,1] RGB units: PSNR = -10 log10(unit_mse), before rounding);
 *   grad [1,3,H,W] (d loss / d delta; for tests and diagnostics, fetched only when asked for).
 *
 * The image under optimisation, in ImageNet-normalised space:
 *   I = x_orig + alpha * jnd * tanh(delta) * a_c,  a = (0.072/0.299, 0.072/0.587, 0.072/0.114)
 * Each view v sees U = unnormalise(I) in [0,1] RGB through a linear spatial map and an affine colour map:
 *   X_v = R_v U R'_v^T per channel (two MatMuls),  Y_v(pixel) = clip(X_v(pixel) C_v + mean(X_v) B_v, 0, 1)
 * Loss = lambda_f * (1 - sum_v w_v cos(f(Y_v), target)) + lambda_i * mean((I - x_orig)^2);
 * `cosine` is sum_v w_v cos(f(Y_v), target).
 * One view with R, R' the plain resize to S x S, C = identity, B = 0, w = 1 is the paper's step (method.md
 * section 2; the clip only matters where I leaves [0, 1], which the final 8-bit image cannot hold either).
 * More views, randomly edited (colour, blur, crop: views.ts), make the change robust to those edits
 * (expectation over transformations), at the cost of one extractor pass per view.
 */
import { FindableError } from '../errors.ts';
import { appendGradient } from '../grad/index.ts';
import { IMAGENET_MEAN, IMAGENET_STD } from '../image/types.ts';
import { GraphBuilder } from '../onnx/builder.ts';
import type { Dim, Model } from '../onnx/model.ts';
import { realInputs } from '../onnx/model.ts';

/** Per-channel perturbation scale a_c of method.md section 2 (luminance-weighted). */
export const CHANNEL_SCALE = [0.072 / 0.299, 0.072 / 0.587, 0.072 / 0.114] as const;

export const STEP_INPUTS = [
  'delta',
  'adam_m',
  'adam_v',
  'step',
  'lr',
  'x_orig',
  'jnd',
  'resize_rows',
  'resize_cols',
  'view_color',
  'view_mean',
  'view_weight',
  'target',
  'alpha',
  'lambda_f',
  'lambda_i',
] as const;

export const STEP_OUTPUTS = [
  'delta_next',
  'adam_m_next',
  'adam_v_next',
  'loss',
  'feature_loss',
  'image_loss',
  'cosine',
  'unit_mse',
  'grad',
] as const;

/** The outputs a step loop fetches: the next state and the numbers it reports (not the gradient). */
export const STEP_FETCH: readonly StepOutputName[] = STEP_OUTPUTS.filter((o) => o !== 'grad');

export type StepInputName = (typeof STEP_INPUTS)[number];
export type StepOutputName = (typeof STEP_OUTPUTS)[number];

export interface StepGraphOptions {
  /**
   * Number of views V (1 = the paper's step). Static on purpose: with a dynamic V the extractor's batch
   * dimension becomes dynamic, its gradient needs runtime Shape nodes, and onnxruntime's WebGPU layout
   * pass turns those into Gather nodes it runs on the CPU. A runtime builds one graph per view count.
   */
  views?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
}

export interface ExtractorIo {
  input: string;
  output: string;
  /** Static square input size S of the network. */
  size: number;
  /** Feature dimension D. */
  dim: number;
}

/** Reads the extractor's single image input [N|1, 3, S, S] and its feature output [N|1, D]. */
export function extractorIo(model: Model): ExtractorIo {
  const inputs = realInputs(model.graph);
  const out = model.graph.outputs[0];
  if (inputs.length !== 1 || !out) {
    throw new FindableError(
      'MODEL_INVALID',
      `The extractor must have one image input and a feature output (has ${inputs.length} inputs).`,
    );
  }
  const shape = inputs[0].shape ?? [];
  const [, c, h, w] = shape;
  if (shape.length !== 4 || c !== 3 || typeof h !== 'number' || h !== w) {
    throw new FindableError(
      'MODEL_INVALID',
      `The extractor input must be [N,3,S,S] with a static S (got [${shape.join(',')}]).`,
    );
  }
  const dim = out.shape?.[1];
  if (typeof dim !== 'number') {
    throw new FindableError(
      'MODEL_INVALID',
      `The extractor output must be [N,D] with a static D (got [${(out.shape ?? []).join(',')}]).`,
    );
  }
  return { input: inputs[0].name, output: out.name, size: h, dim };
}

interface ForwardPart {
  g: GraphBuilder;
  c: (x: number | number[], dims?: number[]) => string;
  n: (op: string, inputs: string[], attrs?: Record<string, number | number[]>) => string;
  delta: string;
  loss: string;
  featureLoss: string;
  imageLoss: string;
  cosine: string;
  unitMse: string;
}

/**
 * Everything up to the loss: perturbation, views, extractor, cosines, image loss. Shared by the step graph
 * and the forward-only graph the benchmark compares it with.
 */
function buildForwardPart(extractor: Model, declared: readonly StepInputName[], views: number): ForwardPart {
  if (!Number.isInteger(views) || views < 1) {
    throw new FindableError('INVALID_ARGUMENT', `A step graph needs a whole number of views >= 1 (got ${views}).`);
  }
  const io = extractorIo(extractor);
  const g = GraphBuilder.fromModel(extractor);
  g.clearOutputs();
  // The network's image input becomes an inner value, produced by the views below.
  const at = g.inputs.findIndex((v) => v.name === io.input);
  g.inputs.splice(at, 1);

  const image: Dim[] = [1, 3, 'H', 'W'];
  const shapes: Record<StepInputName, Dim[]> = {
    delta: image,
    adam_m: image,
    adam_v: image,
    step: [1],
    lr: [1],
    x_orig: image,
    jnd: [1, 1, 'H', 'W'],
    resize_rows: [views, io.size, 'H'],
    resize_cols: [views, io.size, 'W'],
    view_color: [views, 3, 3],
    view_mean: [views, 3, 3],
    view_weight: [views],
    target: [1, io.dim],
    alpha: [1],
    lambda_f: [1],
    lambda_i: [1],
  };
  const inputs = {} as Record<StepInputName, string>;
  for (const name of declared) {
    const got = g.input(name, 'float32', shapes[name]);
    if (got !== name) throw new FindableError('MODEL_INVALID', `The extractor already uses the name '${name}'.`);
    inputs[name] = got;
  }

  const c = (x: number | number[], dims?: number[]) => g.constFloat(x, dims);
  const n = (op: string, ins: string[], attrs?: Record<string, number | number[]>) => g.node(op, ins, attrs);
  const unsqueeze1 = (x: string) => g.node('Unsqueeze', [x, g.constInt64([1])]);

  // Perturbation and image (normalised space).
  const scale = n('Mul', [inputs.alpha, c([...CHANNEL_SCALE], [1, 3, 1, 1])]);
  const pert = n('Mul', [n('Mul', [n('Tanh', [inputs.delta]), inputs.jnd]), scale]);
  const img = n('Add', [inputs.x_orig, pert]);
  // Un-normalise to [0,1] RGB; each view: resize (of a window, maybe blurred) to S x S, then colour.
  const unit = n('Add', [n('Mul', [img, c([...IMAGENET_STD], [1, 3, 1, 1])]), c([...IMAGENET_MEAN], [1, 3, 1, 1])]);
  const rows = unsqueeze1(inputs.resize_rows); // [V,1,S,H]
  const colsT = n('Transpose', [unsqueeze1(inputs.resize_cols)], { perm: [0, 1, 3, 2] }); // [V,1,W,S]
  const spatial = n('MatMul', [n('MatMul', [rows, unit]), colsT]); // [V,3,S,S]
  // Colour in channel-major form, [V,3,S*S] (no transposes to pixel rows): X_v C_v for row vectors is
  // C_v^T X_v for columns, and the mean colour m_v B_v becomes B_v^T m_v^T, a per-channel offset.
  const area = io.size * io.size;
  const flat = n('Reshape', [spatial, g.constInt64([views, 3, area])]);
  const meanColour = n('Mul', [g.node('ReduceSum', [flat, g.constInt64([2])], { keepdims: 1 }), c(1 / area)]); // [V,3,1]
  const transposed = (x: string) => n('Transpose', [x], { perm: [0, 2, 1] });
  const coloured = n('Add', [
    n('MatMul', [transposed(inputs.view_color), flat]),
    n('MatMul', [transposed(inputs.view_mean), meanColour]),
  ]); // [V,3,S*S]
  const viewImages = n('Clip', [n('Reshape', [coloured, g.constInt64([views, 3, io.size, io.size])]), c(0), c(1)]); // [V,3,S,S]
  // Feed the views to the nodes that read the network's former input.
  for (const node of g.nodes) {
    node.inputs.forEach((name, i) => {
      if (name === io.input) node.inputs[i] = viewImages;
    });
  }
  const feat = io.output; // [V,D]

  // Losses, each of shape [1].
  const axes1 = g.constInt64([1]);
  const dot = g.node('ReduceSum', [n('Mul', [feat, inputs.target]), axes1], { keepdims: 0 });
  const norms = n('Mul', [
    n('ReduceL2', [feat], { axes: [1], keepdims: 0 }),
    n('ReduceL2', [inputs.target], { axes: [1], keepdims: 0 }),
  ]);
  const cosines = n('Div', [dot, n('Add', [norms, c(1e-12)])]); // [V]
  const cosine = g.node('ReduceSum', [n('Mul', [cosines, inputs.view_weight]), g.constInt64([0])], { keepdims: 1 });
  const featureLoss = n('Sub', [c(1, [1]), cosine]);
  // mean((I - x_orig)^2) as a sum over a float count of pixels: ReduceMean's gradient would compute the
  // element count from the int64 shape, and onnxruntime places those shape nodes on the CPU.
  const count = g.node('ReduceSum', [n('Add', [n('Mul', [inputs.jnd, c(0)]), c(1)])], { keepdims: 0 });
  const sumSq = g.node('ReduceSum', [n('Mul', [pert, pert])], { keepdims: 0 });
  const imageLoss = n('Reshape', [n('Div', [sumSq, n('Mul', [count, c(3)])]), g.constInt64([1])]);
  const loss = n('Add', [n('Mul', [inputs.lambda_f, featureLoss]), n('Mul', [inputs.lambda_i, imageLoss])]);
  const pertUnit = n('Mul', [pert, c([...IMAGENET_STD], [1, 3, 1, 1])]);
  const unitMse = n('Reshape', [
    n('Div', [g.node('ReduceSum', [n('Mul', [pertUnit, pertUnit])], { keepdims: 0 }), n('Mul', [count, c(3)])]),
    g.constInt64([1]),
  ]);
  return { g, c, n, delta: inputs.delta, loss, featureLoss, imageLoss, cosine, unitMse };
}

/** The inputs of the forward-only graph: every step input except the optimiser's state and settings. */
export const FORWARD_INPUTS: readonly StepInputName[] = STEP_INPUTS.filter(
  (k) => !['adam_m', 'adam_v', 'step', 'lr'].includes(k),
);

/** The step graph's forward part alone (outputs loss and cosine), for cost comparisons. */
export function buildForwardGraph(extractor: Model, views = 1): Model {
  const f = buildForwardPart(extractor, FORWARD_INPUTS, views);
  f.g.output(f.loss, { name: 'loss' });
  f.g.output(f.cosine, { name: 'cosine' });
  return f.g.build();
}

/** Builds the step graph around an extractor model (which is not modified). */
export function buildStepGraph(extractor: Model, options: StepGraphOptions = {}): Model {
  const { views = 1, beta1 = 0.9, beta2 = 0.999, eps = 1e-8 } = options;
  const { g, c, n, delta, loss, featureLoss, imageLoss, cosine, unitMse } = buildForwardPart(
    extractor,
    STEP_INPUTS,
    views,
  );
  const [m, v, step, lr] = ['adam_m', 'adam_v', 'step', 'lr'];

  const [grad] = appendGradient(g, { of: loss, wrt: [delta], seed: c(1, [1]) });

  // Adam (PyTorch's update, exact bias correction): p -= lr / bc1 * m / (sqrt(v) / sqrt(bc2) + eps).
  const mNext = n('Add', [n('Mul', [m, c(beta1)]), n('Mul', [grad, c(1 - beta1)])]);
  const vNext = n('Add', [n('Mul', [v, c(beta2)]), n('Mul', [n('Mul', [grad, grad]), c(1 - beta2)])]);
  const bc1 = n('Sub', [c(1), n('Pow', [c(beta1), step])]);
  const bc2 = n('Sub', [c(1), n('Pow', [c(beta2), step])]);
  const denom = n('Add', [n('Div', [n('Sqrt', [vNext]), n('Sqrt', [bc2])]), c(eps)]);
  const deltaNext = n('Sub', [delta, n('Mul', [n('Div', [mNext, denom]), n('Div', [lr, bc1])])]);

  const outputs: Record<StepOutputName, string> = {
    delta_next: deltaNext,
    adam_m_next: mNext,
    adam_v_next: vNext,
    loss,
    feature_loss: featureLoss,
    image_loss: imageLoss,
    cosine,
    unit_mse: unitMse,
    grad,
  };
  for (const name of STEP_OUTPUTS) g.output(outputs[name], { name });
  return g.build();
}
