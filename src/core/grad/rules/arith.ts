/** VJP rules of broadcasting binary arithmetic; gradients are summed back over broadcast axes. */
import type { VjpContext } from '../context.ts';
import type { VjpRule } from './types.ts';

/** Sum `grad` back to the shape of input i of the current elementwise node. */
function back(c: VjpContext, grad: string, i: number): string {
  return c.unbroadcast(
    grad,
    c.y(),
    c.x(i),
    c.node.inputs.filter((_, j) => j !== i),
  );
}

export const ARITH_RULES: Record<string, VjpRule> = {
  Add: (c) => {
    for (const i of [0, 1]) if (c.needs(i)) c.add(i, back(c, c.grad, i));
  },
  Sum: (c) => {
    for (let i = 0; i < c.node.inputs.length; i++) if (c.needs(i)) c.add(i, back(c, c.grad, i));
  },
  Sub: (c) => {
    if (c.needs(0)) c.add(0, back(c, c.grad, 0));
    if (c.needs(1)) c.add(1, back(c, c.op('Neg', [c.grad]), 1));
  },
  Mul: (c) => {
    if (c.needs(0)) c.add(0, back(c, c.op('Mul', [c.grad, c.x(1)]), 0));
    if (c.needs(1)) c.add(1, back(c, c.op('Mul', [c.grad, c.x(0)]), 1));
  },
  Div: (c) => {
    const b = c.x(1);
    if (c.needs(0)) c.add(0, back(c, c.op('Div', [c.grad, b]), 0));
    // d(a/b)/db = -(a/b)/b = -y/b
    if (c.needs(1)) {
      const t = c.op('Neg', [c.op('Div', [c.op('Mul', [c.grad, c.y()]), b])]);
      c.add(1, back(c, t, 1));
    }
  },
  Pow: (c) => {
    const [a, p] = [c.x(0), c.x(1)];
    if (c.needs(0)) {
      // p * a^(p-1), computed in a's dtype (the exponent may have another float type).
      const pa = c.dtype(p) === c.dtype(a) ? p : c.op('Cast', [p], { to: c.dtype(a) === 'float64' ? 11 : 1 });
      const d = c.op('Mul', [pa, c.op('Pow', [a, c.op('Sub', [pa, c.scalar(1, a)])])]);
      c.add(0, back(c, c.op('Mul', [c.grad, d]), 0));
    }
    if (c.needs(1)) {
      const t = c.op('Mul', [c.op('Mul', [c.grad, c.y()]), c.op('Log', [a])]);
      c.add(1, back(c, t, 1));
    }
  },
  Max: (c) => minMax(c, 'GreaterOrEqual'),
  Min: (c) => minMax(c, 'LessOrEqual'),
};

/** Binary Max/Min: on ties the whole gradient goes to the first input (PyTorch's maximum splits it). */
function minMax(c: VjpContext, cmp: string): void {
  if (c.node.inputs.length !== 2) throw c.unsupported('only two-input Max/Min');
  const [a, b] = [c.x(0), c.x(1)];
  const first = c.op(cmp, [a, b]);
  const zero = c.scalar(0, c.grad);
  if (c.needs(0)) c.add(0, back(c, c.op('Where', [first, c.grad, zero]), 0));
  if (c.needs(1)) c.add(1, back(c, c.op('Where', [first, zero, c.grad]), 1));
}
