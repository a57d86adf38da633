/**
 * Shared machinery of windowed ops (Conv, AveragePool, MaxPool): resolving their padding and the
 * adjoint "scatter windows back" step, a ConvTranspose whose output lands exactly on the input extent.
 */
import { attrInts, attrString } from '../../onnx/attributes.ts';
import type { Dim } from '../../onnx/model.ts';
import type { VjpContext } from '../context.ts';

export interface WindowParams {
  kernel: number[];
  strides: number[];
  dilations: number[];
  padsBegin: number[];
  padsEnd: number[];
  /**
   * auto_pad SAME_* with stride > 1 on a dynamic axis: the pads depend on the run-time size, so
   * padsBegin/padsEnd are 0 and the adjoint crops at a start offset computed from Shape(x).
   */
  dynamicSame?: 'SAME_UPPER' | 'SAME_LOWER';
}

/** Reads strides/dilations/pads of the current node, turning auto_pad into explicit pads. */
export function windowParams(c: VjpContext, kernel: number[]): WindowParams {
  const n = c.node;
  const k = kernel.length;
  const strides = attrInts(n, 'strides', new Array(k).fill(1));
  const dilations = attrInts(n, 'dilations', new Array(k).fill(1));
  const autoPad = attrString(n, 'auto_pad', 'NOTSET');
  if (autoPad === 'NOTSET') {
    const pads = attrInts(n, 'pads', new Array(2 * k).fill(0));
    return { kernel, strides, dilations, padsBegin: pads.slice(0, k), padsEnd: pads.slice(k) };
  }
  if (autoPad === 'VALID') {
    return { kernel, strides, dilations, padsBegin: new Array(k).fill(0), padsEnd: new Array(k).fill(0) };
  }
  // SAME_UPPER / SAME_LOWER: output = ceil(X / s), total padding split with the odd pixel at the end (upper).
  const xs = c.shape(c.x());
  const padsBegin: number[] = [];
  const padsEnd: number[] = [];
  const dynamic = kernel.some((_, i) => strides[i] > 1 && typeof xs?.[2 + i] !== 'number');
  if (dynamic) {
    const zeros = new Array(k).fill(0);
    return { kernel, strides, dilations, padsBegin: zeros, padsEnd: zeros, dynamicSame: autoPad as 'SAME_UPPER' };
  }
  kernel.forEach((kk, i) => {
    const keff = dilations[i] * (kk - 1) + 1;
    let total: number;
    if (strides[i] === 1) total = keff - 1;
    else {
      const d = xs?.[2 + i] as number;
      total = Math.max((Math.ceil(d / strides[i]) - 1) * strides[i] + keff - d, 0);
    }
    const small = Math.floor(total / 2);
    padsBegin.push(autoPad === 'SAME_UPPER' ? small : total - small);
    padsEnd.push(autoPad === 'SAME_UPPER' ? total - small : small);
  });
  return { kernel, strides, dilations, padsBegin, padsEnd };
}

/**
 * ConvTranspose of `gy` (spatial extent `ySpatial`) with weight `w` ([C_in_of_gy, C_out/group, k...]),
 * cropped / padded so that the result has exactly the spatial extent of `x`.
 */
export function convTransposeBack(
  c: VjpContext,
  gy: string,
  w: string,
  p: WindowParams,
  group: number,
  ySpatial: Dim[],
): string {
  const x = c.x();
  const xs = c.shape(x);
  if (!xs) throw c.shapeError('the input rank is unknown');
  const X = xs.slice(2);
  const k = p.kernel.length;
  const common = { strides: p.strides, dilations: p.dilations, group, kernel_shape: p.kernel };
  const allStatic = !p.dynamicSame && [...X, ...ySpatial].every((d) => typeof d === 'number');
  if (allStatic) {
    const outputPadding: number[] = [];
    const padsEnd: number[] = [];
    const extra: number[] = [];
    p.kernel.forEach((kk, i) => {
      const keff = p.dilations[i] * (kk - 1) + 1;
      const l0 = p.strides[i] * ((ySpatial[i] as number) - 1) + keff - p.padsBegin[i];
      const diff = (X[i] as number) - l0;
      // onnxruntime requires output_padding < stride.
      const op = Math.min(Math.max(diff, 0), p.strides[i] - 1);
      outputPadding.push(op);
      padsEnd.push(Math.max(-diff, 0));
      extra.push(diff > op ? diff - op : 0);
    });
    let gx = c.op('ConvTranspose', [gy, w], {
      ...common,
      pads: [...p.padsBegin, ...padsEnd],
      output_padding: outputPadding,
    });
    // Input pixels no window touched (large end padding of the forward op): zero gradient.
    if (extra.some((e) => e > 0)) {
      const pads = c.ints([0, 0, ...new Array(k).fill(0), 0, 0, ...extra]);
      gx = c.op('Pad', [gx, pads], { mode: 'constant' });
    }
    return gx;
  }
  // Dynamic extent: overshoot by at most stride - 1 with output_padding, then crop to Shape(x).
  const full = c.op('ConvTranspose', [gy, w], {
    ...common,
    pads: [...p.padsBegin, ...new Array(k).fill(0)],
    output_padding: p.strides.map((s) => s - 1),
  });
  const axes = c.ints([...Array(k).keys()].map((i) => i + 2));
  const size = c.shapeSlice(x, 2);
  if (!p.dynamicSame) return c.op('Slice', [full, c.ints(new Array(k).fill(0)), size, axes]);
  const begin = dynamicSameBegin(c, p, size);
  return c.op('Slice', [full, begin, c.op('Add', [begin, size]), axes]);
}

/** Begin pads of auto_pad SAME_* from the run-time size X (int64 vector): total = max((ceil(X/s)-1)*s + keff - X, 0). */
function dynamicSameBegin(c: VjpContext, p: WindowParams, size: string): string {
  const s = c.ints(p.strides);
  const keff = c.ints(p.kernel.map((kk, i) => p.dilations[i] * (kk - 1) + 1));
  const one = c.ints(p.strides.map(() => 1));
  const out = c.op('Div', [c.op('Add', [size, c.op('Sub', [s, one])]), s]);
  const span = c.op('Add', [c.op('Mul', [c.op('Sub', [out, one]), s]), keff]);
  const total = c.op('Max', [c.op('Sub', [span, size]), c.ints(p.strides.map(() => 0))]);
  const half = c.op('Div', [total, c.ints(p.strides.map(() => 2))]);
  return p.dynamicSame === 'SAME_UPPER' ? half : c.op('Sub', [total, half]);
}

/** Spatial extent of the node's output (the gradient's extent). */
export function outputSpatial(c: VjpContext): Dim[] {
  const ys = c.shape(c.y());
  if (!ys) throw c.shapeError('the output rank is unknown');
  return ys.slice(2);
}
