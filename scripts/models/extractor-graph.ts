/**
 * Assembles ONNX models from the converted backbone and the descriptor head with the project's graph library
 * (src/core/onnx: GraphBuilder, saveModel). Every graph has one input, 'image' [N,3,224,224] RGB in [0,1].
 */
import { GraphBuilder, type Model, saveModel } from '../../src/core/onnx/index.ts';
import { type BackboneOptions, constF32, convertBackbone, FEATURE_DIM, op } from './convert-mobilenet.ts';
import type { NsfwjsModel } from './nsfwjs-reader.ts';

export const OPSET = 17;
export const IR_VERSION = 8;
export const PRODUCER = 'findable scripts/build-models.ts';
/** Floor on the L2 norm (as torch.nn.functional.normalize: x / max(||x||, eps)). */
export const L2_EPS = 1e-6;
export const DESCRIPTOR_NAME = 'descriptor';

/** Linear descriptor head: y = L2( pre(x) @ proj + bias ), pre = L2-normalisation or identity. */
export interface HeadParams {
  /** L2-normalise the pooled feature first. */
  preL2: boolean;
  inDim: number;
  outDim: number;
  /** [inDim, outDim] row-major (PCA basis with the whitening scales folded in). */
  proj: Float32Array;
  /** [outDim] = -mean @ proj (the centring, folded in). */
  bias: Float32Array;
}

function newBuilder(name: string): GraphBuilder {
  return new GraphBuilder({ opset: OPSET, irVersion: IR_VERSION, name, producerName: PRODUCER });
}

/** x / max(||x||_2, eps) over axis 1 of a [N, D] value. Uses only Mul, ReduceSum, Max, Sqrt, Div. */
export function appendL2Normalize(g: GraphBuilder, x: string, name: string): string {
  const axes = g.constInt64([1], [1], `${name}/axes`);
  const eps2 = constF32(g, `${name}/eps2`, [], [L2_EPS * L2_EPS]);
  const sq = op(g, 'Mul', [x, x], `${name}/sq`);
  const ss = op(g, 'ReduceSum', [sq, axes], `${name}/sumsq`, { keepdims: 1 });
  const cl = op(g, 'Max', [ss, eps2], `${name}/clamp`);
  const nrm = op(g, 'Sqrt', [cl], `${name}/norm`);
  return op(g, 'Div', [x, nrm], name);
}

/** Appends the descriptor head after `pooled` ([N, inDim]); returns the output value name ('descriptor'). */
export function appendHead(g: GraphBuilder, pooled: string, head: HeadParams): string {
  if (head.proj.length !== head.inDim * head.outDim || head.bias.length !== head.outDim) {
    throw new Error('head parameters have the wrong size');
  }
  let x = pooled;
  if (head.preL2) x = appendL2Normalize(g, x, 'head/pre_l2');
  const w = constF32(g, 'head/proj', [head.inDim, head.outDim], head.proj);
  const b = constF32(g, 'head/bias', [head.outDim], head.bias);
  const mm = op(g, 'MatMul', [x, w], 'head/matmul');
  const y = op(g, 'Add', [mm, b], 'head/projected');
  return appendL2Normalize(g, y, DESCRIPTOR_NAME);
}

/** Backbone only: outputs 'pooled' [N,1792] (+ 'logits' [N,5] with withLogits). */
export function buildBackboneModel(model: NsfwjsModel, options: BackboneOptions): Model {
  const g = newBuilder('nsfwjs_mobilenet_v2_mid_backbone');
  const out = convertBackbone(model, g, options);
  g.output(out.pooled, { shape: ['batch', FEATURE_DIM] });
  if (out.logits) g.output(out.logits, { shape: ['batch', 5] });
  return g.build();
}

/** Backbone up to the last feature map: output 'feature_map' [N,1792,7,7] (pool it yourself). */
export function buildFeatureMapModel(model: NsfwjsModel): Model {
  const g = newBuilder('nsfwjs_mobilenet_v2_mid_feature_map');
  const out = convertBackbone(model, g, { pooling: 'avg' });
  g.output(out.featureMap, { name: 'feature_map', shape: ['batch', FEATURE_DIM, 7, 7] });
  return g.build();
}

/** Full extractor: 'image' [N,3,224,224] in [0,1] -> 'descriptor' [N,outDim], unit L2 norm. */
export function buildExtractorModel(
  model: NsfwjsModel,
  options: BackboneOptions,
  head: HeadParams,
  metadata: Record<string, string>,
): Model {
  const g = newBuilder('findable_extractor');
  const out = convertBackbone(model, g, options);
  const d = appendHead(g, out.pooled, head);
  g.output(d, { shape: ['batch', head.outDim] });
  const m = g.build();
  m.producerVersion = '1';
  m.metadata = { ...metadata };
  return m;
}

export function serialize(model: Model): Uint8Array {
  return saveModel(model);
}
