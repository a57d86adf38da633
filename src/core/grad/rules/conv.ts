/** VJP rules of Conv and ConvTranspose with respect to the data input (never the weights). */
import { attrInt, attrInts, attrString } from '../../onnx/attributes.ts';
import type { VjpContext } from '../context.ts';
import type { VjpRule } from './types.ts';
import { convTransposeBack, outputSpatial, windowParams } from './window.ts';

function kernelOf(c: VjpContext): number[] {
  const fromAttr = attrInts(c.node, 'kernel_shape');
  if (fromAttr) return fromAttr;
  const ws = c.staticShape(c.x(1));
  if (!ws) throw c.shapeError('the weight shape is unknown');
  return ws.slice(2);
}

export const CONV_RULES: Record<string, VjpRule> = {
  Conv: (c) => {
    if (c.needs(1) || c.needs(2)) throw c.unsupported('gradients with respect to weights or bias');
    // The adjoint of a convolution with W [M, C/g, k...] is the transposed convolution with the same W.
    const p = windowParams(c, kernelOf(c));
    c.add(0, convTransposeBack(c, c.grad, c.x(1), p, attrInt(c.node, 'group', 1), outputSpatial(c)));
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
