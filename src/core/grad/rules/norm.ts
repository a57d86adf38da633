/** VJP rule of inference-mode BatchNormalization: a per-channel scale. */
import { attrFloat, attrInt } from '../../onnx/attributes.ts';
import type { VjpRule } from './types.ts';

export const NORM_RULES: Record<string, VjpRule> = {
  BatchNormalization: (c) => {
    if (attrInt(c.node, 'training_mode', 0) === 1 || c.node.outputs.filter(Boolean).length > 1) {
      throw c.unsupported('training-mode BatchNormalization');
    }
    if ([1, 2, 3, 4].some((i) => c.needs(i)))
      throw c.unsupported('gradients with respect to the statistics or affine parameters');
    const x = c.x();
    const eps = attrFloat(c.node, 'epsilon', 1e-5);
    // gx = gy * scale / sqrt(var + eps), the per-channel factor shaped [C, 1, ...].
    const factor = c.op('Div', [c.x(1), c.op('Sqrt', [c.op('Add', [c.x(4), c.scalar(eps, c.x(4))])])]);
    const r = c.rank(x);
    const bc = c.unsqueeze(
      factor,
      [...Array(r - 2).keys()].map((i) => i + 1),
    );
    c.add(0, c.op('Mul', [c.grad, bc]));
  },
};
