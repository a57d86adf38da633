/** VJP rules of AveragePool and MaxPool (windows scattered back with a depthwise ConvTranspose). */
import { attrInt, attrInts } from '../../onnx/attributes.ts';
import type { VjpContext } from '../context.ts';
import type { VjpRule } from './types.ts';
import { convTransposeBack, outputSpatial, type WindowParams, windowParams } from './window.ts';

const LOWEST_F32 = -3.4028234663852886e38;

function channels(c: VjpContext): number {
  const ch = c.shape(c.x())?.[1];
  if (typeof ch !== 'number') throw c.shapeError('the channel count is unknown');
  return ch;
}

function castTo(c: VjpContext): number {
  return c.dtype(c.x()) === 'float64' ? 11 : 1;
}

/** Per-window divisor of AveragePool as a tensor broadcastable to the output (or a scalar). */
function averageDivisor(c: VjpContext, p: WindowParams): string {
  const ceil = attrInt(c.node, 'ceil_mode', 0) === 1;
  const includePad = attrInt(c.node, 'count_include_pad', 0) === 1;
  const x = c.x();
  const size = p.kernel.reduce((a, b) => a * b, 1);
  const padded = [...p.padsBegin, ...p.padsEnd].some((q) => q > 0);
  if (!ceil && (includePad || !padded)) return c.scalar(size, x);
  if (ceil && includePad) throw c.unsupported('AveragePool with both ceil_mode and count_include_pad');
  // Count the valid (non-pad) pixels of every window: a sum-pool (Conv with ones) over a ones image.
  const k = p.kernel.length;
  const onesShape = c.op('Concat', [c.ints([1, 1]), c.shapeSlice(x, 2)], { axis: 0 });
  const ones = c.op('Expand', [c.scalar(1, x), onesShape]);
  const extraEnd = ceil ? p.strides.map((s) => s - 1) : new Array(k).fill(0);
  const cnt = c.op('Conv', [ones, c.tensor(new Array(size).fill(1), [1, 1, ...p.kernel], x)], {
    strides: p.strides,
    dilations: p.dilations,
    pads: [...p.padsBegin, ...p.padsEnd.map((q, i) => q + extraEnd[i])],
    kernel_shape: p.kernel,
    group: 1,
  });
  if (!ceil) return cnt;
  const axes = [...Array(k).keys()].map((i) => i + 2);
  return c.op('Slice', [cnt, c.ints(new Array(k).fill(0)), c.shapeSlice(c.y(), 2), c.ints(axes)]);
}

function poolParams(c: VjpContext, kernel: number[]): WindowParams {
  const p = windowParams(c, kernel);
  if (p.dynamicSame) throw c.shapeError(`${c.node.opType} with auto_pad SAME and stride > 1 on a dynamic axis`);
  return p;
}

function averagePool(c: VjpContext): void {
  const kernel = attrInts(c.node, 'kernel_shape', []);
  const p = poolParams(c, kernel);
  const C = channels(c);
  const size = kernel.reduce((a, b) => a * b, 1);
  const gy = c.op('Div', [c.grad, averageDivisor(c, p)]);
  const w = c.tensor(new Array(C * size).fill(1), [C, 1, ...kernel], c.x());
  c.add(0, convTransposeBack(c, gy, w, p, C, outputSpatial(c)));
}

/**
 * MaxPool: for each kernel offset o, the strided view x_o of the (-inf padded) input lines up with the
 * output; mask_o = (x_o == y) restricted to the first matching offset (PyTorch's tie rule), and the
 * masked gradients are scattered back by a grouped ConvTranspose with one-hot kernels.
 */
function maxPool(c: VjpContext): void {
  if (c.gy(1)) throw c.unsupported('gradients through MaxPool indices');
  const x = c.x();
  const y = c.y();
  const kernel = attrInts(c.node, 'kernel_shape', []);
  const p = poolParams(c, kernel);
  const k = kernel.length;
  const C = channels(c);
  const K = kernel.reduce((a, b) => a * b, 1);
  const ceil = attrInt(c.node, 'ceil_mode', 0) === 1;
  const ySp = outputSpatial(c);
  const padsEnd = p.padsEnd.map((q, i) => q + (ceil ? p.strides[i] - 1 : 0));
  const xPad = c.op('Pad', [x, c.ints([0, 0, ...p.padsBegin, 0, 0, ...padsEnd]), c.scalar(LOWEST_F32, x)], {
    mode: 'constant',
  });
  const axes = c.ints([...Array(k).keys()].map((i) => i + 2));
  const steps = c.ints(p.strides);
  const staticY = ySp.every((d) => typeof d === 'number');
  // Exclusive end of the strided view starting at 0: s * (O - 1) + 1.
  const span = staticY
    ? undefined
    : c.op('Add', [c.op('Mul', [c.op('Sub', [c.shapeSlice(y, 2), c.ints([1])]), steps]), c.ints([1])]);
  const parts: string[] = [];
  let taken: string | undefined;
  const one = c.scalar(1, x);
  for (let o = 0; o < K; o++) {
    const idx = unravel(o, kernel);
    const start = idx.map((q, i) => q * p.dilations[i]);
    const ends = staticY
      ? c.ints(start.map((s0, i) => s0 + p.strides[i] * ((ySp[i] as number) - 1) + 1))
      : c.op('Add', [span!, c.ints(start)]);
    const view = c.op('Slice', [xPad, c.ints(start), ends, axes, steps]);
    const eq = c.op('Cast', [c.op('Equal', [view, y])], { to: castTo(c) });
    const m: string = taken ? c.op('Mul', [eq, c.op('Sub', [one, taken])]) : eq;
    taken = taken ? c.op('Add', [taken, m]) : eq;
    parts.push(c.unsqueeze(c.op('Mul', [c.grad, m]), [2]));
  }
  // [N, C, K, O...] -> [N, C*K, O...]: channel c*K + o holds offset o of channel c.
  const stacked = c.op('Concat', parts, { axis: 2 });
  const target = staticY
    ? c.ints([0, C * K, ...(ySp as number[])])
    : c.op('Concat', [c.ints([0, C * K]), c.shapeSlice(y, 2)], { axis: 0 });
  const flat = c.op('Reshape', [stacked, target]);
  const w = new Array<number>(C * K * K).fill(0);
  for (let ch = 0; ch < C; ch++) for (let o = 0; o < K; o++) w[(ch * K + o) * K + o] = 1;
  const weight = c.tensor(w, [C * K, 1, ...kernel], x);
  c.add(0, convTransposeBack(c, flat, weight, p, C, ySp));
}

function unravel(i: number, dims: number[]): number[] {
  const out = new Array<number>(dims.length);
  for (let d = dims.length - 1; d >= 0; d--) {
    out[d] = i % dims[d];
    i = Math.floor(i / dims[d]);
  }
  return out;
}

export const POOL_RULES: Record<string, VjpRule> = {
  AveragePool: averagePool,
  MaxPool: maxPool,
};
