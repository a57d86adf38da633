import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { isFindableError } from '../errors.ts';
import { attr, attrInt, attrInts, GraphBuilder, inferShapes, loadModel, saveModel, topologicalSort } from './index.ts';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '__fixtures__');

async function run(bytes: Uint8Array, feeds: Record<string, ort.Tensor>): Promise<ort.InferenceSession.ReturnType> {
  const s = await ort.InferenceSession.create(bytes, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'disabled',
  });
  try {
    return await s.run(feeds);
  } finally {
    await s.release();
  }
}

describe('GraphBuilder', () => {
  it('builds a conv graph that onnxruntime runs, with inferred output shapes', async () => {
    const g = new GraphBuilder({ opset: 17 });
    const x = g.input('x', 'float32', [1, 2, 'H', 'W']);
    // 1x1 conv doubling channel 0, tripling channel 1 into one output channel.
    const w = g.initializer('w', Float32Array.of(2, 3), [1, 2, 1, 1]);
    const b = g.constFloat([0.5], [1], 'b');
    const y = g.node('Conv', [x, w, b], { strides: [1, 1], pads: [0, 0, 0, 0], dilations: [1, 1], group: 1 });
    const r = g.node('Clip', [y, g.constFloat(0), g.constFloat(6)]);
    const shape = g.constInt64([1, -1]);
    const flat = g.node('Reshape', [r, shape]);
    const lrelu = g.node('LeakyRelu', [flat], { alpha: 1 }); // alpha must be FLOAT though integral
    g.output(lrelu, { name: 'out' });
    const model = g.build();
    expect(model.graph.outputs[0]).toEqual({ name: 'out', dtype: 'float32', shape: [1, null] });
    expect(model.graph.nodes.find((n) => n.opType === 'LeakyRelu')!.attributes.alpha).toEqual(attr.float(1));

    const bytes = saveModel(model);
    const xs = Float32Array.from({ length: 2 * 2 * 3 }, (_, i) => i * 0.25);
    const out = (await run(bytes, { x: new ort.Tensor('float32', xs, [1, 2, 2, 3]) })).out;
    expect(out.dims).toEqual([1, 6]);
    const got = out.data as Float32Array;
    for (let i = 0; i < 6; i++) expect(got[i]).toBeCloseTo(Math.min(6, 2 * xs[i] + 3 * xs[6 + i] + 0.5), 5);
  });

  it('makes names unique and round-trips through save/load', () => {
    const g = new GraphBuilder();
    const x = g.input('x', 'float32', [2]);
    const a = g.node('Relu', [x], undefined, { outputs: ['y'] });
    const b = g.node('Relu', [a], undefined, { outputs: ['y'] });
    expect(a).toBe('y');
    expect(b).toBe('y_1');
    const i64 = g.constInt64([1n, 9223372036854775807n] as bigint[]);
    g.output(b);
    g.output(i64, { name: 'big' });
    const m = g.build();
    const back = loadModel(saveModel(m));
    expect(back.graph.nodes.map((n) => n.outputs[0])).toEqual(['y', 'y_1', 'big']);
    expect((back.graph.initializers[0].data as BigInt64Array)[1]).toBe(9223372036854775807n);
    expect(back.opsetImports).toEqual([{ domain: '', version: 17 }]);
    expect(back.graph.inputs).toEqual([{ name: 'x', dtype: 'float32', shape: [2] }]);
  });

  it('names an output at its producer (no Identity copy) and keeps later references valid', () => {
    const g = new GraphBuilder();
    const x = g.input('x', 'float32', [2]);
    const a = g.node('Relu', [x]);
    g.output(a, { name: 'first' });
    g.output(a, { name: 'again' }); // already an output: needs an Identity
    const b = g.node('Neg', [a]); // a reference to the old name follows the rename
    g.output(b, { name: 'negated' });
    g.output(x, { name: 'copy' }); // a graph input has no producer: Identity
    const m = g.build();
    expect(m.graph.nodes.map((n) => [n.opType, n.inputs, n.outputs])).toEqual([
      ['Relu', ['x'], ['first']],
      ['Identity', ['first'], ['again']],
      ['Neg', ['first'], ['negated']],
      ['Identity', ['x'], ['copy']],
    ]);
    expect(m.graph.outputs.map((o) => o.name)).toEqual(['first', 'again', 'negated', 'copy']);
  });

  it('topologically sorts shuffled nodes and detects cycles', () => {
    const g = new GraphBuilder();
    const x = g.input('x', 'float32', [2]);
    const a = g.node('Relu', [x]);
    const b = g.node('Neg', [a]);
    const c = g.node('Add', [a, b]);
    g.output(c);
    const m = g.build();
    m.graph.nodes.reverse();
    expect(topologicalSort(m.graph).map((n) => n.opType)).toEqual(['Relu', 'Neg', 'Add']);
    m.graph.nodes[2].inputs[0] = c;
    expect(() => topologicalSort(m.graph)).toThrow(/cycle/);
  });
});

describe('shape inference', () => {
  it('handles conv/pool arithmetic, symbolic dims and folded reshape shapes', () => {
    const g = new GraphBuilder();
    const x = g.input('x', 'float32', ['N', 3, 64, 'W']);
    const w = g.initializer('w', new Float32Array(16 * 3 * 7 * 7), [16, 3, 7, 7]);
    const c = g.node('Conv', [x, w], { strides: [2, 2], pads: [3, 3, 3, 3] });
    const p = g.node('MaxPool', [c], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] });
    const gap = g.node('GlobalAveragePool', [p]);
    const shp = g.node('Shape', [gap]);
    const n0 = g.node('Gather', [shp, g.constInt64(0)], { axis: 0 });
    const dims = g.node('Concat', [g.node('Unsqueeze', [n0, g.constInt64([0])]), g.constInt64([-1])], { axis: 0 });
    const flat = g.node('Reshape', [gap, dims]);
    const red = g.node('ReduceL2', [flat], { axes: [1], keepdims: 1 });
    const sl = g.node('Slice', [p, g.constInt64([1]), g.constInt64([-1]), g.constInt64([2])]);
    const tr = g.node('Transpose', [sl], { perm: [0, 2, 3, 1] });
    const ct = g.node('ConvTranspose', [c, g.initializer('wt', new Float32Array(16 * 4 * 4 * 4), [16, 4, 4, 4])], {
      strides: [2, 2],
      pads: [1, 1, 1, 1],
    });
    const info = inferShapes(g.build()).types;
    expect(info.get(c)!.shape).toEqual(['N', 16, 32, 'floor((W-1)/2)+1']);
    expect(info.get(p)!.shape).toEqual(['N', 16, 16, 'floor((floor((W-1)/2))/2)+1']);
    expect(info.get(gap)!.shape).toEqual(['N', 16, 1, 1]);
    expect(info.get(flat)!.shape).toEqual(['N', 16]); // symbolic N flows through Shape -> Gather -> Concat
    expect(info.get(red)!.shape).toEqual(['N', 1]);
    expect(info.get(sl)!.shape).toEqual(['N', 16, 14, 'floor((floor((W-1)/2))/2)+1']);
    expect(info.get(tr)!.shape).toEqual(['N', 14, 'floor((floor((W-1)/2))/2)+1', 16]);
    expect(info.get(ct)!.shape).toEqual(['N', 4, 64, '2*(floor((W-1)/2)+1)']);
    // Static batch: the Shape -> Gather -> Concat chain folds and Reshape gets a static shape.
    const info2 = inferShapes(g.build(), { x: [2, 3, 64, 64] }).types;
    expect(info2.get(flat)!.shape).toEqual([2, 16]);
  });
});

describe('models exported by PyTorch', () => {
  it('loads, inspects, round-trips and runs a torch.onnx export', async () => {
    const bytes = new Uint8Array(readFileSync(join(fixtures, 'small_cnn.onnx')));
    const ref = JSON.parse(readFileSync(join(fixtures, 'small_cnn.json'), 'utf8'));
    const m = loadModel(bytes);
    expect(m.opsetImports.find((o) => o.domain === '')!.version).toBe(17);
    expect(m.graph.inputs[0]).toEqual({ name: 'x', dtype: 'float32', shape: ['N', 3, 16, 16] });
    const conv = m.graph.nodes.find((n) => n.opType === 'Conv')!;
    expect(attrInts(conv, 'strides')).toEqual([2, 2]);
    expect(attrInt(conv, 'group', 1)).toBe(1);
    expect(m.graph.initializers.length).toBeGreaterThan(3);
    const info = inferShapes(m).types;
    expect(info.get(m.graph.outputs[0].name)!.shape).toEqual(['N', 5]);

    const again = saveModel(loadModel(saveModel(m)));
    expect(loadModel(again)).toEqual(m);
    const x = new ort.Tensor('float32', Float32Array.from(ref.x), ref.x_dims);
    const y = (await run(again, { x })).y.data as Float32Array;
    for (let i = 0; i < ref.y.length; i++) expect(Math.abs(y[i] - ref.y[i])).toBeLessThan(1e-5);
  });

  it('rejects bytes that are not a model', () => {
    try {
      loadModel(Uint8Array.of(1, 2, 3, 255, 255));
      expect.unreachable();
    } catch (e) {
      expect(isFindableError(e, 'MODEL_INVALID')).toBe(true);
    }
  });
});
