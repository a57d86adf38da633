import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { isFindableError } from '../errors';
import { GraphBuilder } from '../onnx/builder';
import { loadModel, saveModel } from '../onnx/proto-io';
import { buildStepGraph, STEP_INPUTS, STEP_OUTPUTS } from './step-graph';

const fixtures = join(import.meta.dirname, '__fixtures__');
type Packed = Record<string, { dims: number[]; data: number[] }>;
const golden = JSON.parse(readFileSync(join(fixtures, 'step_golden.json'), 'utf8')) as {
  inputs: Packed;
  outputs: Packed;
};

let session: ort.InferenceSession;
/** The same step graph with one view. */
let session1: ort.InferenceSession;

function feeds(overrides: Partial<Record<string, Float32Array>> = {}): Record<string, ort.Tensor> {
  const out: Record<string, ort.Tensor> = {};
  for (const name of STEP_INPUTS) {
    const g = golden.inputs[name];
    out[name] = new ort.Tensor('float32', overrides[name] ?? Float32Array.from(g.data), g.dims);
  }
  return out;
}

function maxRelErr(got: Float32Array, want: number[]): number {
  const scale = Math.max(...want.map(Math.abs), 1e-12);
  let e = 0;
  for (let i = 0; i < want.length; i++) e = Math.max(e, Math.abs(got[i] - want[i]));
  return e / scale;
}

beforeAll(async () => {
  const extractor = loadModel(readFileSync(join(fixtures, 'step_cnn.onnx')));
  const options = { executionProviders: ['cpu'], intraOpNumThreads: 1 };
  // The golden inputs hold two views.
  session = await ort.InferenceSession.create(saveModel(buildStepGraph(extractor, { views: 2 })), options);
  session1 = await ort.InferenceSession.create(saveModel(buildStepGraph(extractor)), options);
});

describe('activation step graph', () => {
  it('declares the documented inputs and outputs', () => {
    expect([...session.inputNames].sort()).toEqual([...STEP_INPUTS].sort());
    expect([...session.outputNames].sort()).toEqual([...STEP_OUTPUTS].sort());
  });

  it('one step equals PyTorch autograd + torch.optim.Adam (scripts/oracles/step_golden.py)', async () => {
    const out = await session.run(feeds());
    const errors: Record<string, number> = {};
    for (const name of STEP_OUTPUTS.filter((o) => o !== 'unit_mse')) {
      const got = out[name].data as Float32Array;
      expect(Array.from(out[name].dims)).toEqual(golden.outputs[name].dims);
      errors[name] = maxRelErr(got, golden.outputs[name].data);
    }
    // float32 graph vs float32 torch: measured max relative errors are ~1e-6; the bar is 1e-4.
    for (const [name, e] of Object.entries(errors)) expect(e, name).toBeLessThan(1e-4);
    // unit_mse: the same perturbation measured in [0,1] RGB units.
    const d = golden.inputs.delta.data;
    const std = [0.229, 0.224, 0.225];
    const scale = [0.072 / 0.299, 0.072 / 0.587, 0.072 / 0.114];
    const hw = d.length / 3;
    let sum = 0;
    for (let i = 0; i < d.length; i++) {
      const c = Math.floor(i / hw);
      const p = 3 * golden.inputs.jnd.data[i % hw] * Math.tanh(d[i]) * scale[c] * std[c];
      sum += p * p;
    }
    expect((out.unit_mse.data as Float32Array)[0]).toBeCloseTo(sum / d.length, 7);
  });

  it('three steps of the loop (outputs fed back as inputs) raise the cosine to the target', async () => {
    let state = feeds({
      delta: new Float32Array(golden.inputs.delta.data.length).fill(1e-6),
      adam_m: new Float32Array(golden.inputs.adam_m.data.length),
      adam_v: new Float32Array(golden.inputs.adam_v.data.length),
      lambda_i: Float32Array.of(0.01),
    });
    const cosines: number[] = [];
    for (let t = 1; t <= 3; t++) {
      state = { ...state, step: new ort.Tensor('float32', Float32Array.of(t), [1]) };
      const out = await session.run(state);
      cosines.push((out.cosine.data as Float32Array)[0]);
      state = { ...state, delta: out.delta_next, adam_m: out.adam_m_next, adam_v: out.adam_v_next };
    }
    expect(cosines[1]).toBeGreaterThan(cosines[0]);
    expect(cosines[2]).toBeGreaterThan(cosines[1]);
  });

  it('works at any working resolution (H and W are dynamic)', async () => {
    const h = 9;
    const w = 31;
    const f = feeds();
    const img = (c: number) => new ort.Tensor('float32', new Float32Array(c * h * w).fill(0.1), [1, c, h, w]);
    const rows = new ort.Tensor('float32', new Float32Array(16 * h).fill(1 / h), [1, 16, h]);
    const cols = new ort.Tensor('float32', new Float32Array(16 * w).fill(1 / w), [1, 16, w]);
    const out = await session1.run({
      ...f,
      delta: img(3),
      adam_m: img(3),
      adam_v: img(3),
      x_orig: img(3),
      jnd: img(1),
      resize_rows: rows,
      resize_cols: cols,
      view_color: new ort.Tensor('float32', Float32Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1), [1, 3, 3]),
      view_mean: new ort.Tensor('float32', new Float32Array(9), [1, 3, 3]),
      view_weight: new ort.Tensor('float32', Float32Array.of(1), [1]),
    });
    expect(Array.from(out.delta_next.dims)).toEqual([1, 3, h, w]);
    expect(Number.isFinite((out.loss.data as Float32Array)[0])).toBe(true);
  });

  it('the one-view graph equals the first view of the two-view graph with all the weight on it', async () => {
    const two = feeds();
    const take = (name: string, per: number) =>
      new ort.Tensor('float32', Float32Array.from(golden.inputs[name].data.slice(0, per)), [
        1,
        ...golden.inputs[name].dims.slice(1),
      ]);
    const perRows = golden.inputs.resize_rows.data.length / 2;
    const perCols = golden.inputs.resize_cols.data.length / 2;
    const one = await session1.run({
      ...two,
      resize_rows: take('resize_rows', perRows),
      resize_cols: take('resize_cols', perCols),
      view_color: take('view_color', 9),
      view_mean: take('view_mean', 9),
      view_weight: new ort.Tensor('float32', Float32Array.of(1), [1]),
    });
    const weighted = await session.run({ ...two, view_weight: new ort.Tensor('float32', Float32Array.of(1, 0), [2]) });
    for (const name of ['cosine', 'loss'] as const) {
      expect((one[name].data as Float32Array)[0]).toBeCloseTo((weighted[name].data as Float32Array)[0], 6);
    }
    expect(maxRelErr(one.grad.data as Float32Array, Array.from(weighted.grad.data as Float32Array))).toBeLessThan(1e-5);
  });

  it('the view count is fixed at build time (a whole number >= 1)', () => {
    const extractor = loadModel(readFileSync(join(fixtures, 'step_cnn.onnx')));
    expect(() => buildStepGraph(extractor, { views: 0 })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }) as unknown as Error,
    );
    expect(session1.inputMetadata.find((m) => m.name === 'view_weight')).toMatchObject({ shape: [1] });
  });

  it('refuses an extractor without a square static image input', () => {
    const g = new GraphBuilder({ opset: 17 });
    const x = g.input('image', 'float32', [1, 3, 'S', 'S']);
    g.output(g.node('GlobalAveragePool', [x]), { name: 'feature' });
    expect(() => buildStepGraph(g.build())).toThrow(
      expect.objectContaining({ code: 'MODEL_INVALID' }) as unknown as Error,
    );
    try {
      buildStepGraph(g.build());
    } catch (e) {
      expect(isFindableError(e, 'MODEL_INVALID')).toBe(true);
    }
  });
});
