/** VJP rules of MatMul and Gemm (gradients with respect to either operand). */
import { attrFloat, attrInt } from '../../onnx/attributes.ts';
import type { Dim } from '../../onnx/model.ts';
import type { VjpContext } from '../context.ts';
import type { VjpRule } from './types.ts';

function swapLast(c: VjpContext, v: string): string {
  const r = c.rank(v);
  const perm = [...Array(r).keys()];
  [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
  return c.op('Transpose', [v], { perm });
}

export const LINEAR_RULES: Record<string, VjpRule> = {
  MatMul: (c) => {
    const [a, b] = [c.x(0), c.x(1)];
    const as = c.shape(a);
    const bs = c.shape(b);
    const ys = c.shape(c.y());
    if (!as || !bs || !ys) throw c.shapeError('MatMul operand ranks are unknown');
    if (as.length < 2 || bs.length < 2) throw c.unsupported('1-D MatMul operands');
    const batch: Dim[] = ys.slice(0, -2);
    if (c.needs(0)) {
      const ga = c.op('MatMul', [c.grad, swapLast(c, b)]);
      c.add(0, c.unbroadcast(ga, [...batch, ...as.slice(-2)], a));
    }
    if (c.needs(1)) {
      const gb = c.op('MatMul', [swapLast(c, a), c.grad]);
      c.add(1, c.unbroadcast(gb, [...batch, ...bs.slice(-2)], b));
    }
  },
  Gemm: (c) => {
    // Y = alpha * A' B' + beta * C with A' = transA ? A^T : A, B' likewise.
    const [a, b] = [c.x(0), c.x(1)];
    const alpha = attrFloat(c.node, 'alpha', 1);
    const beta = attrFloat(c.node, 'beta', 1);
    const tA = attrInt(c.node, 'transA', 0);
    const tB = attrInt(c.node, 'transB', 0);
    const gy = c.grad;
    if (c.needs(0)) {
      c.add(
        0,
        tA
          ? c.op('Gemm', [b, gy], { alpha, transA: tB, transB: 1 })
          : c.op('Gemm', [gy, b], { alpha, transA: 0, transB: tB ? 0 : 1 }),
      );
    }
    if (c.needs(1)) {
      c.add(
        1,
        tB
          ? c.op('Gemm', [gy, a], { alpha, transA: 1, transB: tA })
          : c.op('Gemm', [a, gy], { alpha, transA: tA ? 0 : 1, transB: 0 }),
      );
    }
    if (c.x(2) && c.needs(2)) {
      const g = beta === 1 ? gy : c.op('Mul', [gy, c.scalar(beta, gy)]);
      c.add(2, c.unbroadcast(g, c.y(), c.x(2)));
    }
  },
};
