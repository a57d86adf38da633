/** VJP rules of elementwise unary ops: gx = gy * f'(x), written with the forward output where cheaper. */
import { attrFloat } from '../../onnx/attributes.ts';
import type { VjpContext } from '../context.ts';
import type { VjpRule } from './types.ts';

/**
 * gx = where(cond, gy, 0), written as gy * float(cond): onnxruntime's CPU Where with a broadcast scalar costs
 * about twice a Cast + Mul, and these masks run on every activation of a network.
 */
function maskGrad(c: VjpContext, cond: string): string {
  return c.op('Mul', [c.grad, c.op('Cast', [cond], { to: castCode(c.dtype(c.grad)) })]);
}

export const ELEMENTWISE_RULES: Record<string, VjpRule> = {
  Identity: (c) => c.add(0, c.grad),
  // Inference-mode Dropout is the identity.
  Dropout: (c) => c.add(0, c.grad),
  // y > 0 exactly where x > 0; reading y keeps a producing Conv fusable with the Relu (see Clip).
  Relu: (c) => c.add(0, maskGrad(c, c.op('Greater', [c.y(), c.scalar(0, c.y())]))),
  Clip: (c) => {
    if (c.needs(1) || c.needs(2)) throw c.unsupported('gradients with respect to min/max');
    // Pass the gradient where min < y < max, from the output alone (like PyTorch's relu6 / hardtanh and
    // TensorFlow's Relu6 gradient, a value exactly at a bound passes none). Not reading the Clip input lets
    // onnxruntime fuse a producing Conv with the Clip (one pass and two layout reorders less per activation).
    const y = c.y();
    const lower = c.x(1) ? c.op('Greater', [y, c.x(1)]) : undefined;
    const upper = c.x(2) ? c.op('Less', [y, c.x(2)]) : undefined;
    if (!lower && !upper) {
      c.add(0, c.grad);
      return;
    }
    const inside = lower && upper ? c.op('And', [lower, upper]) : ((lower ?? upper) as string);
    c.add(0, maskGrad(c, inside));
  },
  LeakyRelu: (c) => {
    const alpha = attrFloat(c.node, 'alpha', 0.01);
    const scaled = c.op('Mul', [c.grad, c.scalar(alpha, c.grad)]);
    c.add(0, c.op('Where', [c.op('Greater', [c.x(), c.scalar(0, c.x())]), c.grad, scaled]));
  },
  Sigmoid: (c) => {
    const y = c.y();
    const d = c.op('Mul', [y, c.op('Sub', [c.scalar(1, y), y])]);
    c.add(0, c.op('Mul', [c.grad, d]));
  },
  Tanh: (c) => {
    const y = c.y();
    const d = c.op('Sub', [c.scalar(1, y), c.op('Mul', [y, y])]);
    c.add(0, c.op('Mul', [c.grad, d]));
  },
  Exp: (c) => c.add(0, c.op('Mul', [c.grad, c.y()])),
  Log: (c) => c.add(0, c.op('Div', [c.grad, c.x()])),
  Sqrt: (c) => c.add(0, c.op('Div', [c.op('Mul', [c.grad, c.scalar(0.5, c.grad)]), c.y()])),
  Reciprocal: (c) => {
    const y = c.y();
    c.add(0, c.op('Neg', [c.op('Mul', [c.grad, c.op('Mul', [y, y])])]));
  },
  Neg: (c) => c.add(0, c.op('Neg', [c.grad])),
  Abs: (c) => c.add(0, c.op('Mul', [c.grad, c.op('Sign', [c.x()])])),
  Softplus: (c) => c.add(0, c.op('Mul', [c.grad, c.op('Sigmoid', [c.x()])])),
  HardSigmoid: (c) => {
    const alpha = attrFloat(c.node, 'alpha', 0.2);
    const beta = attrFloat(c.node, 'beta', 0.5);
    const x = c.x();
    const lin = c.op('Add', [c.op('Mul', [x, c.scalar(alpha, x)]), c.scalar(beta, x)]);
    const zero = c.scalar(0, x);
    const scaled = c.op('Mul', [c.grad, c.scalar(alpha, x)]);
    const belowOne = c.op('Where', [c.op('Less', [lin, c.scalar(1, x)]), scaled, zero]);
    c.add(0, c.op('Where', [c.op('Greater', [lin, zero]), belowOne, zero]));
  },
  HardSwish: (c) => {
    // y = x * clip(x/6 + 1/2, 0, 1): dy/dx = 0 (x < -3), 1 (x > 3), x/3 + 1/2 between.
    const x = c.x();
    const mid = c.op('Add', [c.op('Mul', [x, c.scalar(1 / 3, x)]), c.scalar(0.5, x)]);
    const hi = c.op('Where', [c.op('Greater', [x, c.scalar(3, x)]), c.scalar(1, x), mid]);
    const d = c.op('Where', [c.op('Less', [x, c.scalar(-3, x)]), c.scalar(0, x), hi]);
    c.add(0, c.op('Mul', [c.grad, d]));
  },
  Softmax: (c) => {
    // gx = y * (gy - sum(gy * y, axis)), opset >= 13 semantics (single axis).
    const y = c.y();
    const axis = c.node.attributes.axis?.type === 'int' ? c.node.attributes.axis.value : -1;
    const r = c.rank(y);
    const s = c.reduceSum(c.op('Mul', [c.grad, y]), [axis < 0 ? axis + r : axis], true);
    c.add(0, c.op('Mul', [y, c.op('Sub', [c.grad, s])]));
  },
  Cast: (c) => {
    // Float -> float casts only (integer outputs are never active).
    c.add(0, c.op('Cast', [c.grad], { to: castCode(c.dtype(c.x())) }));
  },
};

function castCode(dtype: string): number {
  return dtype === 'float64' ? 11 : dtype === 'float16' ? 10 : 1;
}
