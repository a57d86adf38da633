/** VJP rules of data-movement ops: the gradient is moved back the same way (reshape, transpose, pad...). */
import { attrInt, attrInts } from '../../onnx/attributes.ts';
import { sliceRange } from '../../onnx/shapes.ts';
import type { VjpContext } from '../context.ts';
import type { VjpRule } from './types.ts';

const reshapeBack: VjpRule = (c) => c.add(0, c.reshapeLike(c.grad, c.x()));

export const SHAPE_RULES: Record<string, VjpRule> = {
  Reshape: reshapeBack,
  Flatten: reshapeBack,
  Squeeze: reshapeBack,
  Unsqueeze: reshapeBack,
  Transpose: (c) => {
    const r = c.rank(c.x());
    const perm = attrInts(c.node, 'perm', [...Array(r).keys()].reverse());
    const inv = new Array<number>(r);
    perm.forEach((p, i) => {
      inv[p] = i;
    });
    c.add(0, c.op('Transpose', [c.grad], { perm: inv }));
  },
  Expand: (c) => c.add(0, c.unbroadcast(c.grad, c.y(), c.x())),
  Concat: (c) => {
    const r = c.rank(c.y());
    const axis = normAxis(attrInt(c.node, 'axis', 0), r);
    // Offsets along the axis: static where the sizes are known, else from Shape at run time.
    let offset: number | string = 0;
    c.node.inputs.forEach((x, i) => {
      const size = c.shape(x)?.[axis];
      const sizeV = typeof size === 'number' ? size : c.shapeSlice(x, axis, axis + 1);
      const end: number | string =
        typeof offset === 'number' && typeof sizeV === 'number'
          ? offset + sizeV
          : c.op('Add', [toVec(c, offset), toVec(c, sizeV)]);
      if (c.needs(i)) c.add(i, c.op('Slice', [c.grad, toVec(c, offset), toVec(c, end), c.ints([axis])]));
      offset = end;
    });
  },
  Split: (c) => {
    const parts = c.node.outputs.map((o, i) => c.gy(i) ?? c.zerosLike(o));
    const r = c.rank(c.x());
    c.add(0, c.op('Concat', parts, { axis: normAxis(attrInt(c.node, 'axis', 0), r) }));
  },
  Slice: (c) => sliceGrad(c),
};

function normAxis(a: number, r: number): number {
  return a < 0 ? a + r : a;
}

function toVec(c: VjpContext, v: number | string): string {
  return typeof v === 'number' ? c.ints([v]) : v;
}

/** Slice with step 1: pad the gradient back with zeros (pads computed statically or from shapes). */
function sliceGrad(c: VjpContext): void {
  const x = c.x();
  const xs = c.shape(x);
  if (!xs) throw c.shapeError('the rank of the sliced tensor is unknown');
  const r = xs.length;
  const starts = c.constInts(c.x(1));
  const ends = c.constInts(c.x(2));
  const axes = c.x(3) ? c.constInts(c.x(3)) : starts?.map((_, i) => i);
  const steps = c.x(4) ? c.constInts(c.x(4)) : starts?.map(() => 1);
  if (!starts || !ends || !axes || !steps) throw c.unsupported('non-constant Slice parameters');
  if (steps.some((s) => s !== 1)) throw c.unsupported('Slice steps other than 1');
  const begin = new Array<number>(r).fill(0);
  axes.forEach((a0, i) => {
    const a = normAxis(a0, r);
    const d = xs[a];
    if (typeof d === 'number') begin[a] = sliceRange(d, starts[i], ends[i], 1).start;
    else if (starts[i] >= 0) begin[a] = starts[i];
    else throw c.shapeError(`negative Slice start on the dynamic axis ${a}`);
  });
  // pads = [begin..., shape(x) - shape(y) - begin...]
  const ys = c.shape(c.y());
  let endPads: string;
  const xst = c.staticShape(x);
  const yst = ys?.every((d) => typeof d === 'number') ? (ys as number[]) : undefined;
  if (xst && yst) endPads = c.ints(xst.map((d, i) => d - yst[i] - begin[i]));
  else endPads = c.op('Sub', [c.op('Sub', [c.shapeOf(x), c.shapeOf(c.y())]), c.ints(begin)]);
  const pads = c.op('Concat', [c.ints(begin), endPads], { axis: 0 });
  c.add(0, c.op('Pad', [c.grad, pads], { mode: 'constant' }));
}
