/**
 * VJP checks of ops whose onnxruntime CPU kernels are float32-only (Conv, ConvTranspose, pools, ...):
 * the gradient graph runs in float32 and is compared with PyTorch float64 autograd on the same data
 * (fixture from scripts/oracles/grad_ops_torch.py).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { AttrInput } from '../onnx/attributes.ts';
import { GraphBuilder } from '../onnx/builder.ts';
import { gradientModel } from './gradient.ts';
import { compare, runOnce, session } from './testing/harness.ts';

interface TorchCase {
  name: string;
  op: string;
  attrs: Record<string, AttrInput>;
  inputs: { name: string; dims: number[]; data: number[] }[];
  y_dims: number[];
  gy: number[];
  gx: number[];
}

const fixture = join(dirname(fileURLToPath(import.meta.url)), '__fixtures__', 'ops_torch.json');
const { cases } = JSON.parse(readFileSync(fixture, 'utf8')) as { cases: TorchCase[] };

/** float32 graph vs float64 reference: max abs error relative to max |reference|. */
const TOL = 1e-5;

describe('VJP rules vs PyTorch float64 autograd (float32 onnxruntime-node)', () => {
  // 'dynamic' declares the batch and spatial dims symbolic, exercising the run-time shape paths.
  for (const [tc, mode] of cases.flatMap((c) => [[c, 'static'] as const, [c, 'dynamic'] as const])) {
    it(`${tc.name} (${mode})`, async () => {
      const g = new GraphBuilder({ opset: 17 });
      const [xi, ...rest] = tc.inputs;
      const dynDims = xi.dims.map((d, i) => (i === 1 ? d : `d${i}`));
      const x = g.input('x', 'float32', mode === 'static' ? xi.dims : dynDims);
      const others = rest.map((r) => g.initializer(r.name, Float32Array.from(r.data), r.dims));
      g.output(g.node(tc.op, [x, ...others], tc.attrs), { name: 'y' });
      const fwd = g.build();
      if (mode === 'static') expect(fwd.graph.outputs[0].shape).toEqual(tc.y_dims);
      const { model } = gradientModel(fwd, { of: 'y', wrt: 'x', upstream: 'input' });
      const s = await session(model);
      const out = await runOnce(s, {
        x: { data: Float32Array.from(xi.data), dims: xi.dims },
        y_grad: { data: Float32Array.from(tc.gy), dims: tc.y_dims },
      });
      await s.release();
      const r = compare(out.x_grad, tc.gx);
      if (process.env.FINDABLE_LOG_ERRORS)
        console.log(`torch64 ${tc.name} ${mode}: ${(r.maxAbsErr / r.maxAbsRef).toExponential(2)}`);
      expect(r.maxAbsRef).toBeGreaterThan(0);
      expect(r.maxAbsErr / r.maxAbsRef, `max abs err ${r.maxAbsErr}, max |ref| ${r.maxAbsRef}`).toBeLessThan(TOL);
    });
  }
});
