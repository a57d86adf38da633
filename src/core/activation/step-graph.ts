/**
 * The activation step as one ordinary ONNX graph (onnxruntime-web has no autograd): its inputs are the
 * optimisation state, its outputs the next state. Running it N times is N Adam steps of method.md
 * section 2; the state tensors can stay on the GPU between runs (gpu-buffer outputs fed back as inputs).
 *
 * Inputs (float32; H, W = working resolution, dynamic; S = the extractor's static input size):
 *   delta, adam_m, adam_v   [1,3,H,W]   optimisation variable and Adam moments
 *   step                    [1]         Adam step number t, 1-based (bias correction)
 *   lr                      [1]         learning rate
 *   x_orig                  [1,3,H,W]   original image, ImageNet-normalised
 *   jnd                     [1,1,H,W]   JND map H / 255 (src/core/image/jnd.ts)
 *   resize_rows             [S,H]       row interpolation matrix (src/core/image/resize.ts layout: out x in)
 *   resize_cols             [S,W]       column interpolation matrix (out x in)
 *   target                  [1,D]       q(x_o), the quantizer's reconstruction of the original feature
 *   alpha, lambda_f, lambda_i [1]       strength and loss weights
 * Outputs:
 *   delta_next, adam_m_next, adam_v_next [1,3,H,W]; loss, feature_loss, image_loss, cosine [1];
 *   unit_mse [1] (mean squared change in [0,1] RGB units: PSNR = -10 log10(unit_mse), before rounding);
 *   grad [1,3,H,W] (d loss / d delta; for tests and diagnostics, fetched only when asked for).
 *
 * The image under optimisation, in ImageNet-normalised space:
 *   I = x_orig + alpha * jnd * tanh(delta) * a_c,  a = (0.072/0.299, 0.072/0.587, 0.072/0.114)
 * Loss = lambda_f * (1 - cos(f(resize(unnormalise(I))), target)) + lambda_i * mean((I - x_orig)^2).
 * The extractor takes RGB in [0,1], so I is un-normalised before the resize; resize(X) = R_rows X R_cols^T
 * per channel, two MatMuls, which is exactly src/core/image/resize.ts's antialiased resize.
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

/** Builds the step graph around an extractor model (which is not modified). */
export function buildStepGraph(extractor: Model, options: StepGraphOptions = {}): Model {
  const { beta1 = 0.9, beta2 = 0.999, eps = 1e-8 } = options;
  const io = extractorIo(extractor);
  const g = GraphBuilder.fromModel(extractor);
  g.clearOutputs();
  // The network's image input becomes an inner value, produced by the resize below.
  const at = g.inputs.findIndex((v) => v.name === io.input);
  g.inputs.splice(at, 1);

  const image: Dim[] = [1, 3, 'H', 'W'];
  const declare = (name: StepInputName, shape: Dim[]) => {
    const got = g.input(name, 'float32', shape);
    if (got !== name) throw new FindableError('MODEL_INVALID', `The extractor already uses the name '${name}'.`);
    return got;
  };
  const delta = declare('delta', image);
  const m = declare('adam_m', image);
  const v = declare('adam_v', image);
  const step = declare('step', [1]);
  const lr = declare('lr', [1]);
  const xOrig = declare('x_orig', image);
  const jnd = declare('jnd', [1, 1, 'H', 'W']);
  const rows = declare('resize_rows', [io.size, 'H']);
  const cols = declare('resize_cols', [io.size, 'W']);
  const target = declare('target', [1, io.dim]);
  const alpha = declare('alpha', [1]);
  const lambdaF = declare('lambda_f', [1]);
  const lambdaI = declare('lambda_i', [1]);

  const c = (x: number | number[], dims?: number[]) => g.constFloat(x, dims);
  const n = (op: string, inputs: string[], attrs?: Record<string, number | number[]>) => g.node(op, inputs, attrs);

  // Perturbation and image (normalised space).
  const scale = n('Mul', [alpha, c([...CHANNEL_SCALE], [1, 3, 1, 1])]);
  const pert = n('Mul', [n('Mul', [n('Tanh', [delta]), jnd]), scale]);
  const img = n('Add', [xOrig, pert]);
  // Un-normalise to [0,1] RGB, then resize to S x S with the two interpolation matrices.
  const unit = n('Add', [n('Mul', [img, c([...IMAGENET_STD], [1, 3, 1, 1])]), c([...IMAGENET_MEAN], [1, 3, 1, 1])]);
  const colsT = n('Transpose', [cols], { perm: [1, 0] });
  const resized = n('MatMul', [n('MatMul', [rows, unit]), colsT]);
  // Feed the resized image to the nodes that read the network's former input.
  for (const node of g.nodes) {
    node.inputs.forEach((name, i) => {
      if (name === io.input) node.inputs[i] = resized;
    });
  }
  const feat = io.output;

  // Losses, each of shape [1].
  const axes1 = g.constInt64([1]);
  const dot = g.node('ReduceSum', [n('Mul', [feat, target]), axes1], { keepdims: 0 });
  const norms = n('Mul', [
    n('ReduceL2', [feat], { axes: [1], keepdims: 0 }),
    n('ReduceL2', [target], { axes: [1], keepdims: 0 }),
  ]);
  const cosine = n('Div', [dot, n('Add', [norms, c(1e-12)])]);
  const featureLoss = n('Sub', [c(1, [1]), cosine]);
  // mean((I - x_orig)^2) as a sum over a float count of pixels: ReduceMean's gradient would compute the
  // element count from the int64 shape, and onnxruntime places those shape nodes on the CPU.
  const pixels = g.node('ReduceSum', [n('Add', [n('Mul', [jnd, c(0)]), c(1)])], { keepdims: 0 });
  const sumSq = g.node('ReduceSum', [n('Mul', [pert, pert])], { keepdims: 0 });
  const imageLoss = n('Reshape', [n('Div', [sumSq, n('Mul', [pixels, c(3)])]), g.constInt64([1])]);
  const loss = n('Add', [n('Mul', [lambdaF, featureLoss]), n('Mul', [lambdaI, imageLoss])]);
  const pertUnit = n('Mul', [pert, c([...IMAGENET_STD], [1, 3, 1, 1])]);
  const unitMse = n('Reshape', [
    n('Div', [g.node('ReduceSum', [n('Mul', [pertUnit, pertUnit])], { keepdims: 0 }), n('Mul', [pixels, c(3)])]),
    g.constInt64([1]),
  ]);

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
