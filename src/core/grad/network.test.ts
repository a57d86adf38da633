/**
 * Whole-network input gradient: an SSCD-style ResNet-50 (reduced widths, GeM pooling, L2 norms) exported
 * by PyTorch; our gradient graph on onnxruntime-node (float32) vs PyTorch float64 autograd on the same
 * weights (fixture from scripts/oracles/grad_resnet_gem.py). Tolerance: 1e-3 relative.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isFindableError } from '../errors.ts';
import { GraphBuilder } from '../onnx/builder.ts';
import type { Dim } from '../onnx/model.ts';
import { loadModel } from '../onnx/proto-io.ts';
import { gradientModel } from './gradient.ts';
import { runOnce, session } from './testing/harness.ts';

const dir = join(dirname(fileURLToPath(import.meta.url)), '__fixtures__');
const meta = JSON.parse(readFileSync(join(dir, 'resnet_gem.json'), 'utf8')) as { x_dims: number[]; y_dims: number[] };
const raw = readFileSync(join(dir, 'resnet_gem.f32'));
const all = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
const nx = meta.x_dims.reduce((a, b) => a * b, 1);
const ny = meta.y_dims.reduce((a, b) => a * b, 1);
const ref = {
  x: all.subarray(0, nx),
  gy: all.subarray(nx, nx + ny),
  y: all.subarray(nx + ny, nx + 2 * ny),
  gx: all.subarray(nx + 2 * ny, 2 * nx + 2 * ny),
};

function relL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
}

function relMax(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let e = 0;
  let m = 0;
  for (let i = 0; i < b.length; i++) {
    e = Math.max(e, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return e / m;
}

async function check(inputShapes?: Record<string, Dim[]>) {
  const fwd = loadModel(new Uint8Array(readFileSync(join(dir, 'resnet_gem.onnx'))));
  const { model, gradOutputs, upstreamInput } = gradientModel(fwd, { upstream: 'input', inputShapes });
  expect(gradOutputs).toEqual(['x_grad']);
  expect(upstreamInput).toBe('embedding_grad');
  const s = await session(model);
  const out = await runOnce(s, {
    x: { data: ref.x, dims: meta.x_dims },
    embedding_grad: { data: ref.gy, dims: meta.y_dims },
  });
  await s.release();
  return { y: out.embedding, gx: out.x_grad };
}

describe('SSCD-style ResNet-50 + GeM input gradient vs PyTorch float64 autograd', () => {
  it('static input shape', async () => {
    const { y, gx } = await check({ x: meta.x_dims });
    expect(relMax(y, ref.y)).toBeLessThan(1e-4);
    const l2 = relL2(gx, ref.gx);
    const mx = relMax(gx, ref.gx);
    console.log(`resnet_gem static: rel L2 err ${l2.toExponential(2)}, max err / max |ref| ${mx.toExponential(2)}`);
    expect(l2).toBeLessThan(1e-3);
    expect(mx).toBeLessThan(1e-3);
  });

  it('dynamic H and W (symbolic shapes)', async () => {
    const { gx } = await check();
    const l2 = relL2(gx, ref.gx);
    const mx = relMax(gx, ref.gx);
    console.log(`resnet_gem dynamic: rel L2 err ${l2.toExponential(2)}, max err / max |ref| ${mx.toExponential(2)}`);
    expect(l2).toBeLessThan(1e-3);
    expect(mx).toBeLessThan(1e-3);
  });
});

describe('errors', () => {
  it('names the op and node of an unsupported op', () => {
    const g = new GraphBuilder({ opset: 17 });
    const x = g.input('x', 'float32', [4]);
    g.output(g.node('Erf', [g.node('Relu', [x])], undefined, { name: 'my_erf' }), { name: 'y' });
    try {
      gradientModel(g.build(), { of: 'y', wrt: 'x' });
      expect.unreachable();
    } catch (e) {
      expect(isFindableError(e, 'OP_UNSUPPORTED')).toBe(true);
      expect((e as Error).message).toContain('Erf');
      expect((e as Error).message).toContain("'my_erf'");
    }
  });

  it('ignores unsupported ops off the differentiated path', async () => {
    const g = new GraphBuilder({ opset: 17 });
    const x = g.input('x', 'float32', [4]);
    const other = g.input('z', 'float32', [4]);
    const y = g.node('Add', [g.node('Tanh', [x]), g.node('Erf', [other])]);
    g.output(y, { name: 'y' });
    const { model } = gradientModel(g.build(), { of: 'y', wrt: 'x' });
    const s = await session(model);
    const xs = Float32Array.of(0, 0.5, -1, 2);
    const out = await runOnce(s, { x: { data: xs, dims: [4] }, z: { data: new Float32Array(4), dims: [4] } });
    await s.release();
    xs.forEach((v, i) => {
      expect(out.x_grad[i]).toBeCloseTo(1 - Math.tanh(v) ** 2, 6);
    });
  });
});
