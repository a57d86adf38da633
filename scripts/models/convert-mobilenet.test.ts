/**
 * Converter tests: the ONNX backbone built from nsfwjs' TF.js graph matches @tensorflow/tfjs (CPU backend)
 * running the original graph, and the shipped extractor (public/models) is what the converter produces.
 * Uses two corpus photos from ../shared/corpus (like src/core/image tests).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../src/core/onnx/index.ts';
import { FEATURE_DIM, INPUT_SIZE, type Pooling, samePads } from './convert-mobilenet.ts';
import { buildBackboneModel, buildExtractorModel, type HeadParams, serialize } from './extractor-graph.ts';
import { decodeRgb, jpegRoundTrip, toExtractorInput } from './images.ts';
import { dequantize, type NsfwjsModel, readNsfwjsModel } from './nsfwjs-reader.ts';
import { loadTfjsReference, TF_LOGITS_NODE, TF_POOLED_NODE } from './tfjs-reference.ts';

const PHOTOS = fileURLToPath(new URL('../../../shared/corpus/photos/', import.meta.url));
const MODELS = fileURLToPath(new URL('../../public/models/', import.meta.url));
const PHOTO_A = `${PHOTOS}enl-peaks.jpg`;
const PHOTO_B = `${PHOTOS}lomiri1604-seeding-by-clements-engelhardt.jpg`;
const PLANE = 3 * INPUT_SIZE * INPUT_SIZE;

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

async function inputsOf(paths: string[]): Promise<Float32Array> {
  const x = new Float32Array(paths.length * PLANE);
  for (let i = 0; i < paths.length; i++) await toExtractorInput(await decodeRgb(paths[i]), x, i * PLANE);
  return x;
}

function session(bytes: Uint8Array): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

let nsfw: NsfwjsModel;
beforeAll(() => {
  nsfw = readNsfwjsModel();
});

describe('nsfwjs reader', () => {
  it('decodes model.json and all 108 uint8-quantized weights', () => {
    expect(nsfw.packageVersion).toBe('4.4.0');
    expect(nsfw.weightSpecs).toHaveLength(108);
    let params = 0;
    for (const w of nsfw.weights.values()) {
      params += w.data.length;
      expect(w.data.every(Number.isFinite)).toBe(true);
    }
    expect(params).toBe(nsfw.weightData.length); // one byte per quantized value
    const ops = new Set(nsfw.modelJson.modelTopology.node.map((n) => n.op));
    expect([...ops].sort()).toEqual(
      [
        'AddV2',
        'AvgPool',
        'Const',
        'FusedDepthwiseConv2dNative',
        'Identity',
        'Mul',
        'Placeholder',
        'Softmax',
        'Squeeze',
        'Sub',
        '_FusedConv2D',
        '_FusedMatMul',
      ].sort(),
    );
  });

  it('dequantizes as w = q * scale + min', () => {
    const spec = { name: 'w', shape: [3], dtype: 'float32', quantization: { dtype: 'uint8', min: -1, scale: 0.5 } };
    expect(Array.from(dequantize(spec, Uint8Array.of(0, 2, 255)))).toEqual([-1, 0, 126.5]);
  });

  it('computes TF SAME padding (extra pixel at the end)', () => {
    expect(samePads(224, 3, 2, 1)).toEqual([0, 1, 112]);
    expect(samePads(112, 3, 1, 1)).toEqual([1, 1, 112]);
    expect(samePads(7, 1, 1, 1)).toEqual([0, 0, 7]);
  });
});

describe('converted backbone vs @tensorflow/tfjs', () => {
  it('matches the original graph within 1e-3 on the pooled feature and the logits', { timeout: 600_000 }, async () => {
    const bytes = serialize(buildBackboneModel(nsfw, { pooling: 'avg', withLogits: true }));
    const x = await inputsOf([PHOTO_A, PHOTO_B]);
    const s = await session(bytes);
    const out = await s.run({ image: new ort.Tensor('float32', x, [2, 3, INPUT_SIZE, INPUT_SIZE]) });
    await s.release();
    const ref = await loadTfjsReference(nsfw);
    const [pooled, logits] = await ref.run(x, 2, [TF_POOLED_NODE, TF_LOGITS_NODE]);
    ref.dispose();
    const ePooled = maxAbsDiff(out.pooled.data as Float32Array, pooled);
    const eLogits = maxAbsDiff(out.logits.data as Float32Array, logits);
    console.info(`parity: pooled max |diff| ${ePooled.toExponential(2)}, logits ${eLogits.toExponential(2)}`);
    expect(pooled.length).toBe(2 * FEATURE_DIM);
    expect(ePooled).toBeLessThan(1e-3);
    expect(eLogits).toBeLessThan(1e-3);
  });

  it('writes explicit Conv attributes, opset 17, and is byte-for-byte deterministic', () => {
    const a = serialize(buildBackboneModel(nsfw, { pooling: 'gem' }));
    const b = serialize(buildBackboneModel(nsfw, { pooling: 'gem' }));
    expect(sha256(a)).toBe(sha256(b));
    const m = loadModel(a);
    expect(m.opsetImports.find((o) => o.domain === '')?.version).toBe(17);
    const convs = m.graph.nodes.filter((n) => n.opType === 'Conv');
    expect(convs).toHaveLength(52);
    for (const c of convs) {
      for (const k of ['dilations', 'strides', 'pads', 'group', 'kernel_shape']) expect(c.attributes[k]).toBeDefined();
    }
  });
});

const manifestPath = `${MODELS}extractor.json`;
describe.skipIf(!existsSync(manifestPath))('shipped extractor (public/models)', () => {
  const manifest = existsSync(manifestPath)
    ? (JSON.parse(readFileSync(manifestPath, 'utf8')) as { sha256: string; output: { dim: number } })
    : { sha256: '', output: { dim: 0 } };
  const bytes = existsSync(`${MODELS}extractor.onnx`) ? new Uint8Array(readFileSync(`${MODELS}extractor.onnx`)) : null;

  it('matches the manifest sha256 and is exactly converter(nsfwjs) + its stored head', () => {
    expect(bytes).not.toBeNull();
    expect(sha256(bytes!)).toBe(manifest.sha256);
    const m = loadModel(bytes!);
    const cfg = JSON.parse(m.metadata.head) as { pooling: Pooling; preL2: boolean; outDim: number };
    const init = (name: string) => {
      const t = m.graph.initializers.find((i) => i.name === name);
      if (!t) throw new Error(`no initializer ${name}`);
      return Float32Array.from(t.data as Float32Array);
    };
    const head: HeadParams = {
      preL2: cfg.preL2,
      inDim: FEATURE_DIM,
      outDim: cfg.outDim,
      proj: init('head/proj'),
      bias: init('head/bias'),
    };
    const rebuilt = serialize(buildExtractorModel(nsfw, { pooling: cfg.pooling }, head, m.metadata));
    expect(sha256(rebuilt)).toBe(manifest.sha256);
  });

  it('outputs unit-norm 512-d descriptors; a JPEG-50 copy is closer than another photo', {
    timeout: 120_000,
  }, async () => {
    const a = await decodeRgb(PHOTO_A);
    const x = new Float32Array(3 * PLANE);
    await toExtractorInput(a, x, 0);
    await toExtractorInput(await jpegRoundTrip(a, 50), x, PLANE);
    await toExtractorInput(await decodeRgb(PHOTO_B), x, 2 * PLANE);
    const s = await session(bytes!);
    const out = await s.run({ image: new ort.Tensor('float32', x, [3, 3, INPUT_SIZE, INPUT_SIZE]) });
    await s.release();
    const d = out.descriptor;
    expect(d.dims).toEqual([3, 512]);
    expect(manifest.output.dim).toBe(512);
    const v = d.data as Float32Array;
    const dot = (i: number, j: number) => {
      let s2 = 0;
      for (let k = 0; k < 512; k++) s2 += v[i * 512 + k] * v[j * 512 + k];
      return s2;
    };
    for (let i = 0; i < 3; i++) expect(Math.abs(Math.sqrt(dot(i, i)) - 1)).toBeLessThan(1e-4);
    console.info(`cos(photo, jpeg50) ${dot(0, 1).toFixed(4)}, cos(photo, other photo) ${dot(0, 2).toFixed(4)}`);
    expect(dot(0, 1)).toBeGreaterThan(dot(0, 2));
    expect(dot(0, 1)).toBeGreaterThan(0.8);
  });
});
