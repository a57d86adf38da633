/** VJP rules of reductions and global pooling: broadcast the gradient back over the reduced axes. */
import { attrInt, attrInts } from '../../onnx/attributes.ts';
import type { VjpContext } from '../context.ts';
import type { VjpRule } from './types.ts';

/** Reduced axes (normalized, sorted) and keepdims of a Reduce* node; undefined = identity (noop). */
function reduceAxes(c: VjpContext): { axes: number[]; keep: boolean } | undefined {
  const n = c.node;
  const r = c.rank(c.x());
  const fromInput = n.opType === 'ReduceSum' ? c.opset >= 13 : c.opset >= 18;
  let axes: number[] | undefined;
  if (n.opType.startsWith('Global')) axes = [...Array(r).keys()].slice(2);
  else if (fromInput) {
    axes = c.x(1) ? c.constInts(c.x(1)) : [];
    if (!axes) throw c.unsupported('non-constant reduction axes');
  } else axes = attrInts(n, 'axes', []);
  if (axes.length === 0) {
    if (attrInt(n, 'noop_with_empty_axes', 0) === 1) return undefined;
    axes = [...Array(r).keys()];
  }
  const keep = n.opType.startsWith('Global') || attrInt(n, 'keepdims', 1) === 1;
  return { axes: [...new Set(axes.map((a) => (a < 0 ? a + r : a)))].sort((p, q) => p - q), keep };
}

/** Output gradient (and optionally the output) with the reduced axes kept as size 1. */
function keptDims(c: VjpContext, v: string, red: { axes: number[]; keep: boolean }): string {
  return red.keep ? v : c.unsqueeze(v, red.axes);
}

/** Number of reduced elements as a scalar of x's dtype. */
function count(c: VjpContext, axes: number[]): string {
  const x = c.x();
  const xs = c.shape(x)!;
  const dims = axes.map((a) => xs[a]);
  if (dims.every((d) => typeof d === 'number'))
    return c.scalar(
      dims.reduce((p, q) => p * q, 1),
      x,
    );
  const picked = c.op('Gather', [c.shapeOf(x), c.ints(axes)], { axis: 0 });
  const prod = c.op('ReduceProd', [picked], { keepdims: 0 });
  return c.op('Cast', [prod], { to: c.dtype(x) === 'float64' ? 11 : 1 });
}

type Reducer = (c: VjpContext, gy: string, red: { axes: number[]; keep: boolean }) => string;

function rule(f: Reducer): VjpRule {
  return (c) => {
    const red = reduceAxes(c);
    if (!red) return c.add(0, c.grad);
    c.add(0, f(c, keptDims(c, c.grad, red), red));
  };
}

const sum: Reducer = (c, gy) => c.expandLike(gy, c.x());
const mean: Reducer = (c, gy, red) => c.expandLike(c.op('Div', [gy, count(c, red.axes)]), c.x());
const maxLike: Reducer = (c, gy, red) => {
  // Ties share the gradient equally (as torch.amax).
  const x = c.x();
  const mask = c.op('Cast', [c.op('Equal', [x, keptDims(c, c.y(), red)])], { to: c.dtype(x) === 'float64' ? 11 : 1 });
  const n = c.reduceSum(mask, red.axes, true);
  return c.op('Mul', [mask, c.op('Div', [gy, n])]);
};

export const REDUCE_RULES: Record<string, VjpRule> = {
  ReduceSum: rule(sum),
  ReduceMean: rule(mean),
  GlobalAveragePool: rule(mean),
  ReduceMax: rule(maxLike),
  ReduceMin: rule(maxLike),
  GlobalMaxPool: rule(maxLike),
  ReduceL2: rule((c, gy, red) => {
    // d||x||/dx = x / ||x||
    const x = c.x();
    return c.op('Mul', [x, c.op('Div', [gy, keptDims(c, c.y(), red)])]);
  }),
  ReduceSumSquare: rule((c, gy) => {
    const x = c.x();
    return c.op('Mul', [c.op('Mul', [x, c.scalar(2, x)]), gy]);
  }),
  ReduceL1: rule((c, gy) => c.op('Mul', [c.op('Sign', [c.x()]), gy])),
};
