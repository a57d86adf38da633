/**
 * Gradient graphs also run on onnxruntime-web's wasm backend (the browser CPU path) and agree with
 * onnxruntime-node. Uses the small PyTorch CNN of the ONNX library tests (Conv, depthwise Conv, Relu,
 * Clip, MaxPool, Flatten, Gemm, L2 normalisation) to keep wasm start-up within the time budget.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ortWeb from 'onnxruntime-web';
import { expect, it } from 'vitest';
import { loadModel, saveModel } from '../onnx/proto-io.ts';
import { gradientModel } from './gradient.ts';
import { runOnce, session } from './testing/harness.ts';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'onnx', '__fixtures__');

it('a CNN gradient graph runs on onnxruntime-web wasm and matches onnxruntime-node', async () => {
  const fwd = loadModel(new Uint8Array(readFileSync(join(dir, 'small_cnn.onnx'))));
  const { model } = gradientModel(fwd, { upstream: 'input' });
  const x = new Float32Array(2 * 3 * 16 * 16).map((_, i) => Math.sin(i * 0.37) * 0.5 + 0.5);
  const gy = new Float32Array(10).map((_, i) => Math.cos(i));
  ortWeb.env.wasm.numThreads = 1;
  const s = await ortWeb.InferenceSession.create(saveModel(model), { executionProviders: ['wasm'] });
  const out = await s.run({
    x: new ortWeb.Tensor('float32', x, [2, 3, 16, 16]),
    y_grad: new ortWeb.Tensor('float32', gy, [2, 5]),
  });
  await s.release();
  const web = out.x_grad.data as Float32Array;
  const ns = await session(model);
  const node = (await runOnce(ns, { x: { data: x, dims: [2, 3, 16, 16] }, y_grad: { data: gy, dims: [2, 5] } })).x_grad;
  await ns.release();
  expect(out.x_grad.dims).toEqual([2, 3, 16, 16]);
  let err = 0;
  let ref = 0;
  for (let i = 0; i < node.length; i++) {
    err = Math.max(err, Math.abs(web[i] - node[i]));
    ref = Math.max(ref, Math.abs(node[i]));
  }
  expect(ref).toBeGreaterThan(0);
  expect(err / ref).toBeLessThan(1e-4);
});
