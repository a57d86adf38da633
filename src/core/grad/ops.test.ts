/**
 * Per-op VJP checks against central finite differences of the forward graph, both computed with
 * onnxruntime-node in float64 (h = 1e-6). Ops whose ORT CPU kernels are float32-only (Conv, ConvTranspose,
 * AveragePool) are checked against PyTorch float64 autograd instead (conv.test.ts).
 */
import { describe, expect, it } from 'vitest';
import type { GraphBuilder } from '../onnx/builder.ts';
import { checkOpGradient, randomArray, rng } from './testing/harness.ts';

const TOL = 1e-6;
const f64 = (g: GraphBuilder, dims: number[], seed: number, lo = -1, hi = 1) =>
  g.initializer(
    'c',
    randomArray(
      dims.reduce((a, b) => a * b, 1),
      rng(seed),
      lo,
      hi,
    ) as Float64Array,
    dims,
    'float64',
  );
const s64 = (g: GraphBuilder, v: number) => g.initializer('s', Float64Array.of(v), [], 'float64');

type Case = [string, number[], (g: GraphBuilder, x: string) => string, { lo?: number; hi?: number }?];

const cases: Case[] = [
  // elementwise
  ['Relu', [2, 3, 4], (g, x) => g.node('Relu', [x])],
  ['Clip 0..0.5', [2, 3, 4], (g, x) => g.node('Clip', [x, s64(g, 0), s64(g, 0.5)])],
  ['Clip min only', [2, 3, 4], (g, x) => g.node('Clip', [x, s64(g, -0.2)])],
  ['Sigmoid', [2, 5], (g, x) => g.node('Sigmoid', [x])],
  ['Tanh', [2, 5], (g, x) => g.node('Tanh', [x])],
  ['Exp', [2, 5], (g, x) => g.node('Exp', [x])],
  ['Log', [2, 5], (g, x) => g.node('Log', [x]), { lo: 0.5, hi: 2 }],
  ['Sqrt', [2, 5], (g, x) => g.node('Sqrt', [x]), { lo: 0.5, hi: 2 }],
  ['Reciprocal', [2, 5], (g, x) => g.node('Reciprocal', [x]), { lo: 0.5, hi: 2 }],
  ['Neg/Abs', [2, 5], (g, x) => g.node('Abs', [g.node('Neg', [x])])],
  ['LeakyRelu', [2, 5], (g, x) => g.node('LeakyRelu', [x], { alpha: 0.1 })],
  ['Softmax', [2, 5], (g, x) => g.node('Softmax', [x], { axis: 1 })],
  ['Identity', [3], (g, x) => g.node('Identity', [x])],
  // broadcasting arithmetic
  ['Add x+x', [2, 3], (g, x) => g.node('Add', [x, x])],
  ['Add bias', [2, 3, 4], (g, x) => g.node('Add', [x, f64(g, [3, 1], 2)])],
  ['Add broadcast x', [3, 1], (g, x) => g.node('Add', [f64(g, [2, 3, 4], 3), x])],
  ['Sub', [1, 3, 1], (g, x) => g.node('Sub', [f64(g, [2, 3, 4], 4), x])],
  ['Mul both', [2, 3], (g, x) => g.node('Mul', [x, g.node('Tanh', [x])])],
  ['Mul broadcast', [3, 1], (g, x) => g.node('Mul', [x, f64(g, [2, 3, 4], 5)])],
  ['Div numerator', [2, 3], (g, x) => g.node('Div', [x, f64(g, [3], 6, 0.5, 2)])],
  ['Div denominator', [2, 3], (g, x) => g.node('Div', [f64(g, [2, 3], 7), x]), { lo: 0.5, hi: 2 }],
  ['L2 normalize x/||x||', [2, 6], (g, x) => g.node('Div', [x, g.node('ReduceL2', [x], { axes: [1], keepdims: 1 })])],
  ['Pow x^3', [2, 4], (g, x) => g.node('Pow', [x, s64(g, 3)])],
  ['Pow x^(1/3)', [2, 4], (g, x) => g.node('Pow', [x, s64(g, 1 / 3)]), { lo: 0.2, hi: 2 }],
  ['Pow 2^x', [2, 4], (g, x) => g.node('Pow', [s64(g, 2), x])],
  ['Max', [2, 4], (g, x) => g.node('Max', [x, f64(g, [4], 8)])],
  ['Min', [2, 4], (g, x) => g.node('Min', [f64(g, [2, 4], 9), x])],
  ['Sum', [2, 4], (g, x) => g.node('Sum', [x, f64(g, [4], 10), x])],
  // linear
  ['MatMul x@W', [2, 3, 4], (g, x) => g.node('MatMul', [x, f64(g, [4, 5], 11)])],
  ['MatMul W@x batch', [2, 4, 3], (g, x) => g.node('MatMul', [f64(g, [5, 4], 12), x])],
  ['MatMul x@x^T', [3, 4], (g, x) => g.node('MatMul', [x, g.node('Transpose', [x])])],
  ['Gemm', [2, 4], (g, x) => g.node('Gemm', [x, f64(g, [4, 3], 13), f64(g, [3], 14)], { alpha: 0.7, beta: 0.3 })],
  ['Gemm transA', [4, 2], (g, x) => g.node('Gemm', [x, f64(g, [4, 3], 15)], { transA: 1 })],
  ['Gemm transB', [2, 4], (g, x) => g.node('Gemm', [x, f64(g, [3, 4], 16), f64(g, [2, 3], 17)], { transB: 1 })],
  ['Gemm B=x transB', [3, 4], (g, x) => g.node('Gemm', [f64(g, [2, 4], 18), x], { transB: 1, alpha: 2 })],
  ['Gemm B=x transA', [4, 3], (g, x) => g.node('Gemm', [f64(g, [4, 2], 19), x], { transA: 1 })],
  ['Gemm C=x', [2, 3], (g, x) => g.node('Gemm', [f64(g, [2, 4], 20), f64(g, [4, 3], 21), x], { beta: 0.5 })],
  // data movement
  ['Reshape', [2, 3, 4], (g, x) => g.node('Tanh', [g.node('Reshape', [x, g.constInt64([4, -1])])])],
  ['Flatten', [2, 3, 2], (g, x) => g.node('Flatten', [x], { axis: 1 })],
  [
    'Squeeze/Unsqueeze',
    [2, 1, 3],
    (g, x) => g.node('Unsqueeze', [g.node('Squeeze', [x, g.constInt64([1])]), g.constInt64([0])]),
  ],
  ['Transpose', [2, 3, 4], (g, x) => g.node('Transpose', [x], { perm: [1, 2, 0] })],
  ['Concat', [2, 3], (g, x) => g.node('Concat', [x, f64(g, [2, 2], 22), g.node('Tanh', [x])], { axis: 1 })],
  [
    'Split',
    [2, 6],
    (g, x) => {
      const [a, , c] = g.nodeN('Split', [x, g.constInt64([1, 2, 3])], 3, { axis: 1 });
      return g.node('Concat', [c, g.node('Tanh', [a])], { axis: 1 });
    },
  ],
  ['Split one used', [4, 2], (g, x) => g.nodeN('Split', [x, g.constInt64([3, 1])], 2, { axis: 0 })[1]],
  [
    'Slice',
    [3, 6],
    (g, x) => g.node('Slice', [x, g.constInt64([1, -4]), g.constInt64([3, 100]), g.constInt64([0, 1])]),
  ],
  ['Expand', [3, 1], (g, x) => g.node('Expand', [x, g.constInt64([2, 3, 4])])],
  // reductions
  ['ReduceMean', [2, 3, 4], (g, x) => g.node('ReduceMean', [x], { axes: [1, 2], keepdims: 0 })],
  ['ReduceSum', [2, 3, 4], (g, x) => g.node('ReduceSum', [x, g.constInt64([-1])], { keepdims: 1 })],
  ['ReduceSum all', [2, 3], (g, x) => g.node('ReduceSum', [x], { keepdims: 0 })],
  ['ReduceL2', [2, 3, 4], (g, x) => g.node('ReduceL2', [x], { axes: [0, 2], keepdims: 0 })],
  ['ReduceSumSquare', [2, 3], (g, x) => g.node('ReduceSumSquare', [x], { axes: [1], keepdims: 1 })],
  ['ReduceMax', [2, 3, 4], (g, x) => g.node('ReduceMax', [x], { axes: [2], keepdims: 0 })],
  // normalization and pooling
  [
    'BatchNormalization',
    [2, 3, 2, 2],
    (g, x) =>
      g.node('BatchNormalization', [x, f64(g, [3], 23), f64(g, [3], 24), f64(g, [3], 25), f64(g, [3], 26, 0.5, 2)], {
        epsilon: 1e-3,
      }),
  ],
];

describe('VJP rules vs float64 central differences (onnxruntime-node)', () => {
  for (const [name, shape, fwd, o] of cases) {
    it(name, async () => {
      const r = await checkOpGradient(shape, fwd, { lo: o?.lo, hi: o?.hi });
      if (process.env.FINDABLE_LOG_ERRORS) console.log(`fd64 ${name}: ${r.relErr.toExponential(2)}`);
      expect(r.maxAbsRef).toBeGreaterThan(0);
      expect(r.relErr, `max abs err ${r.maxAbsErr}, max |fd| ${r.maxAbsRef}`).toBeLessThan(TOL);
    });
  }
});
