/** VJP rules of Conv and ConvTranspose with respect to the data input (never the weights). */
import { attrInt, attrInts, attrString } from '../../onnx/attributes.ts';
import type { VjpContext } from '../context.ts';
import type { VjpRule } from './types.ts';
import { convTransposeBack, outputSpatial, type WindowParams, windowParams } from './window.ts';

function kernelOf(c: VjpContext): number[] {
  const fromAttr = attrInts(c.node, 'kernel_shape');
  if (fromAttr) return fromAttr;
  const ws = c.staticShape(c.x(1));
  if (!ws) throw c.shapeError('the weight shape is unknown');
  return ws.slice(2);
}

/**
 * The adjoint weight of a stride-1 convolution: W [M, C/g, k...] -> W' [C, M/g, k...] with input and output
 * channels swapped within each group and the kernel flipped along every spatial axis, computed once here
 * from the constant W. Undefined when W is not a float constant.
 */
function adjointWeight(c: VjpContext, group: number): string | undefined {
  const w = c.info.constants.get(c.x(1));
  if (!w || (w.dtype !== 'float32' && w.dtype !== 'float64') || w.dims.length < 3) return undefined;
  const [m, cg, ...kernel] = w.dims;
  if (m % group !== 0) return undefined;
  const mg = m / group;
  const taps = kernel.reduce((a, b) => a * b, 1);
  const src = w.data as Float32Array | Float64Array;
  const out = w.dtype === 'float64' ? new Float64Array(src.length) : new Float32Array(src.length);
  for (let j = 0; j < group; j++) {
    for (let mo = 0; mo < mg; mo++) {
      for (let ci = 0; ci < cg; ci++) {
        const from = ((j * mg + mo) * cg + ci) * taps;
        const to = ((j * cg + ci) * mg + mo) * taps;
        // Flipping every spatial axis reverses the flattened kernel.
        for (let t = 0; t < taps; t++) out[to + t] = src[from + taps - 1 - t];
      }
    }
  }
  return c.g.initializer('grad_w_adj', out, [group * cg, mg, ...kernel], w.dtype);
}

/**
 * Stride 1: the adjoint is itself a convolution (with the adjoint weight and the complementary padding
 * keff - 1 - pad), which onnxruntime runs with its fast (NCHWc / depthwise) Conv kernels, unlike
 * ConvTranspose. Undefined where that does not apply (strides, non-constant weight, very large padding).
 */
function strideOneBack(c: VjpContext, p: WindowParams, group: number): string | undefined {
  if (p.dynamicSame || p.strides.some((s) => s !== 1)) return undefined;
  const keff = p.kernel.map((kk, i) => p.dilations[i] * (kk - 1) + 1);
  const pads = [...p.padsBegin.map((b, i) => keff[i] - 1 - b), ...p.padsEnd.map((e, i) => keff[i] - 1 - e)];
  if (pads.some((q) => q < 0)) return undefined;
  const w = adjointWeight(c, group);
  if (!w) return undefined;
  return c.op('Conv', [c.grad, w], {
    strides: p.strides,
    dilations: p.dilations,
    pads,
    group,
    kernel_shape: p.kernel,
  });
}

export const CONV_RULES: Record<string, VjpRule> = {
  Conv: (c) => {
    if (c.needs(1) || c.needs(2)) throw c.unsupported('gradients with respect to weights or bias');
    const p = windowParams(c, kernelOf(c));
    const group = attrInt(c.node, 'group', 1);
    // Otherwise the adjoint of a convolution with W [M, C/g, k...] is the transposed convolution with W.
    c.add(0, strideOneBack(c, p, group) ?? convTransposeBack(c, c.grad, c.x(1), p, group, outputSpatial(c)));
  },
  ConvTranspose: (c) => {
    if (c.needs(1) || c.needs(2)) throw c.unsupported('gradients with respect to weights or bias');
    if (attrString(c.node, 'auto_pad', 'NOTSET') !== 'NOTSET' || attrInts(c.node, 'output_shape')) {
      throw c.unsupported('auto_pad / output_shape on ConvTranspose (use explicit pads)');
    }
    const kernel = kernelOf(c);
    const k = kernel.length;
    // The adjoint of ConvTranspose(W [C, M/g, k...]) is Conv with the same W; output_padding only adds
    // output pixels that no input pixel reaches, and Conv's floor drops them again.
    c.add(
      0,
      c.op('Conv', [c.grad, c.x(1)], {
        strides: attrInts(c.node, 'strides', new Array(k).fill(1)),
        dilations: attrInts(c.node, 'dilations', new Array(k).fill(1)),
        pads: attrInts(c.node, 'pads', new Array(2 * k).fill(0)),
        group: attrInt(c.node, 'group', 1),
        kernel_shape: kernel,
      }),
    );
  },
};
