/**
 * The activation step graph runs identically on onnxruntime-node (CPU), onnxruntime-web wasm and
 * onnxruntime-web WebGPU (Chromium with --enable-unsafe-webgpu: the SwiftShader software adapter here),
 * 3 steps on a small image, with the optimisation state kept on the GPU between steps; and ORT's own
 * node-placement log shows that no node of the graph falls back from WebGPU to the CPU.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, test } from '@playwright/test';
import * as ortNode from 'onnxruntime-node';
import { buildStepGraph, STEP_INPUTS } from '../src/core/activation/step-graph.ts';
import { loadModel, saveModel } from '../src/core/onnx/proto-io.ts';

const FIX = fileURLToPath(new URL('../src/core/activation/__fixtures__/', import.meta.url));
type Packed = Record<string, { dims: number[]; data: number[] }>;
const golden = JSON.parse(readFileSync(`${FIX}step_golden.json`, 'utf8')) as { inputs: Packed };

const STEPS = 3;
// The golden inputs hold two views (a plain and an edited one).
const modelBytes = saveModel(buildStepGraph(loadModel(readFileSync(`${FIX}step_cnn.onnx`)), { views: 2 }));

/** Start of the loop: delta ~ 0, zero moments, the paper's weights. */
function initialFeeds(): Packed {
  const f: Packed = {};
  for (const name of STEP_INPUTS) f[name] = { ...golden.inputs[name] };
  const n = golden.inputs.delta.data.length;
  f.delta = { dims: golden.inputs.delta.dims, data: Array.from({ length: n }, (_, i) => 1e-3 * Math.sin(i)) };
  f.adam_m = { dims: golden.inputs.delta.dims, data: new Array(n).fill(0) };
  f.adam_v = { dims: golden.inputs.delta.dims, data: new Array(n).fill(0) };
  f.lambda_i = { dims: [1], data: [0.01] };
  f.lr = { dims: [1], data: [1] };
  return f;
}

interface LoopResult {
  cosines: number[];
  losses: number[];
  delta: number[];
}

async function runOnNode(): Promise<LoopResult> {
  const session = await ortNode.InferenceSession.create(modelBytes, { executionProviders: ['cpu'] });
  const f = initialFeeds();
  let feeds: Record<string, ortNode.Tensor> = {};
  for (const [k, v] of Object.entries(f)) feeds[k] = new ortNode.Tensor('float32', Float32Array.from(v.data), v.dims);
  const result: LoopResult = { cosines: [], losses: [], delta: [] };
  for (let t = 1; t <= STEPS; t++) {
    feeds.step = new ortNode.Tensor('float32', Float32Array.of(t), [1]);
    const out = await session.run(feeds, ['delta_next', 'adam_m_next', 'adam_v_next', 'cosine', 'loss']);
    result.cosines.push((out.cosine.data as Float32Array)[0]);
    result.losses.push((out.loss.data as Float32Array)[0]);
    feeds = { ...feeds, delta: out.delta_next, adam_m: out.adam_m_next, adam_v: out.adam_v_next };
  }
  result.delta = Array.from(feeds.delta.data as Float32Array);
  return result;
}

function maxAbsDiff(a: number[], b: number[]): number {
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
}

test('3 steps agree on onnxruntime-node, web wasm and web WebGPU; nothing falls back to the CPU', async ({ page }) => {
  const reference = await runOnNode();
  expect(reference.cosines[2]).toBeGreaterThan(reference.cosines[0]);
  const logs = await (await import('./harness/ort-page.ts')).openOrtPage(page);

  const results = await page.evaluate(
    async ({ model, feeds, steps }) => {
      // biome-ignore lint/suspicious/noExplicitAny: onnxruntime-web is loaded as a plain module here.
      const ort: any = await import('/ort/ort.webgpu.min.mjs' as string);
      ort.env.wasm.wasmPaths = '/ort/';
      ort.env.wasm.numThreads = 1;
      ort.env.logLevel = 'verbose';
      const bytes = Uint8Array.from(atob(model), (c) => c.charCodeAt(0));
      const out: Record<string, { cosines: number[]; losses: number[]; delta: number[] }> = {};
      for (const ep of ['wasm', 'webgpu']) {
        const onGpu = ep === 'webgpu';
        const session = await ort.InferenceSession.create(bytes, {
          executionProviders: [ep],
          logSeverityLevel: 0,
          logVerbosityLevel: 4,
          // The state tensors stay where they are computed: GPU buffers fed back as inputs.
          preferredOutputLocation: onGpu
            ? { delta_next: 'gpu-buffer', adam_m_next: 'gpu-buffer', adam_v_next: 'gpu-buffer' }
            : undefined,
        });
        // biome-ignore lint/suspicious/noExplicitAny: ort tensors
        const state: Record<string, any> = {};
        for (const [k, v] of Object.entries(feeds))
          state[k] = new ort.Tensor('float32', Float32Array.from(v.data), v.dims);
        const r = { cosines: [] as number[], losses: [] as number[], delta: [] as number[], stayedOnGpu: true };
        for (let t = 1; t <= steps; t++) {
          state.step = new ort.Tensor('float32', Float32Array.of(t), [1]);
          const o = await session.run(state, ['delta_next', 'adam_m_next', 'adam_v_next', 'cosine', 'loss']);
          if (onGpu && o.delta_next.location !== 'gpu-buffer') r.stayedOnGpu = false;
          r.cosines.push((await o.cosine.getData())[0]);
          r.losses.push((await o.loss.getData())[0]);
          state.delta = o.delta_next;
          state.adam_m = o.adam_m_next;
          state.adam_v = o.adam_v_next;
        }
        r.delta = Array.from((await state.delta.getData()) as Float32Array);
        out[ep] = r;
      }
      return out;
    },
    {
      model: Buffer.from(modelBytes).toString('base64'),
      feeds: initialFeeds(),
      steps: STEPS,
    },
  );

  for (const ep of ['wasm', 'webgpu']) {
    const r = results[ep];
    expect(maxAbsDiff(r.cosines, reference.cosines), `${ep} cosine`).toBeLessThan(1e-4);
    expect(maxAbsDiff(r.losses, reference.losses), `${ep} loss`).toBeLessThan(1e-4);
    // delta moves by ~lr per step; agreement to 1e-3 absolute after 3 steps.
    expect(maxAbsDiff(r.delta, reference.delta), `${ep} delta`).toBeLessThan(1e-3);
  }
  expect((results.webgpu as unknown as { stayedOnGpu: boolean }).stayedOnGpu).toBe(true);

  // ORT's verbose log lists the execution provider of every node (VerifyEachNodeIsAssignedToAnEp).
  const placement = logs.filter((l) => /VerifyEachNodeIsAssignedToAnEp/.test(l));
  const cpuOnWebgpuSession = placement.filter((l) => /placed on \[CPUExecutionProvider\]/.test(l));
  expect(
    placement.some((l) => /All nodes placed on \[WebGpuExecutionProvider\]/.test(l)),
    placement.join('\n'),
  ).toBe(true);
  // The wasm session places everything on the CPU EP; that is the only CPU line allowed.
  expect(
    cpuOnWebgpuSession.every((l) => /All nodes placed on/.test(l)),
    placement.join('\n'),
  ).toBe(true);
});
