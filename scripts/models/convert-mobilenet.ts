/**
 * Converts nsfwjs' TF.js MobileNetV2-1.4 graph (NHWC) into ONNX nodes (NCHW), as plain objects of the
 * project's graph library (src/core/onnx/model.ts); serialisation is left to src/core/onnx.
 *
 * Op mapping (the graph only contains these; anything else is an error):
 *   Placeholder                -> graph input 'image' [N,3,224,224], RGB in [0,1]
 *   Mul / Sub with scalar Const -> Mul / Sub (the graph's own x -> 2x - 1)
 *   _FusedConv2D               -> Conv (weights HWIO -> OIHW, bias = BiasAdd) [+ Clip(0,6) when Relu6 is fused]
 *   FusedDepthwiseConv2dNative -> Conv with group = C (weights [kh,kw,C,1] -> [C,1,kh,kw]) [+ Clip(0,6)]
 *   AddV2                      -> Add
 *   AvgPool (kernel = whole map, VALID) -> GlobalAveragePool (or GeM, see `pooling`)
 *   Squeeze (spatial dims)     -> Flatten(axis 1)
 *   _FusedMatMul + BiasAdd     -> Gemm        (classifier head, only with `withLogits`)
 * TF 'SAME' padding is turned into explicit, possibly asymmetric, ONNX pads computed from the static
 * 224x224 input size; every Conv carries explicit dilations, strides, pads and group attributes.
 */
import type { AttrInput } from '../../src/core/onnx/attributes.ts';
import type { GraphBuilder } from '../../src/core/onnx/builder.ts';
import { attrInts, attrString, attrStrings, type NsfwjsModel, type TfNode } from './nsfwjs-reader.ts';

export const INPUT_SIZE = 224;
export const FEATURE_DIM = 1792;
export const TF_PREFIX =
  'StatefulPartitionedCall/sequential/keras_layer/StatefulPartitionedCall/StatefulPartitionedCall/StatefulPartitionedCall/predict/';

export type Pooling = 'avg' | 'gem';
export const GEM_P = 3;
/** GeM clamps activations at this floor before x^p (they are >= 0 after ReLU6 already). */
export const GEM_EPS = 1e-6;

export const INPUT_NAME = 'image';

/** Adds a float32 initializer; returns its (unique) name. */
export function constF32(g: GraphBuilder, name: string, dims: number[], data: Float32Array | number[]): string {
  return g.initializer(name, Float32Array.from(data), dims, 'float32');
}

/** Adds a node whose single output value is `name` (made unique by the builder); nodes get default names. */
export function op(
  g: GraphBuilder,
  opType: string,
  inputs: string[],
  name: string,
  attrs?: Record<string, AttrInput | undefined>,
): string {
  return g.node(opType, inputs, attrs, { outputs: [name] });
}

export interface BackboneOutputs {
  /** Graph input name ('image'). */
  input: string;
  /** Last feature map [N,1792,7,7] (after Conv_1 + ReLU6). */
  featureMap: string;
  /** Pooled feature [N,1792]. */
  pooled: string;
  /** Classifier logits [N,5], only with withLogits. */
  logits?: string;
}

export interface BackboneOptions {
  pooling: Pooling;
  /** Also convert nsfwjs' 5-class classifier (MatMul + bias), for parity tests. */
  withLogits?: boolean;
}

function shortName(tfName: string): string {
  return tfName.startsWith(TF_PREFIX) ? tfName.slice(TF_PREFIX.length) : tfName;
}

/** TF 'SAME' padding for one spatial dim: [begin, end] (TF puts the extra pixel at the end). */
export function samePads(inSize: number, k: number, stride: number, dilation: number): [number, number, number] {
  const out = Math.ceil(inSize / stride);
  const eff = (k - 1) * dilation + 1;
  const total = Math.max((out - 1) * stride + eff - inSize, 0);
  const begin = Math.floor(total / 2);
  return [begin, total - begin, out];
}

/** Appends the converted backbone to `g`. Value names follow the TF node names minus the long prefix. */
export function convertBackbone(model: NsfwjsModel, g: GraphBuilder, options: BackboneOptions): BackboneOutputs {
  const nodes = model.modelJson.modelTopology.node;
  const byName = new Map(nodes.map((n) => [n.name, n]));
  // value name map (TF name -> ONNX value name) and static NCHW shapes [C,H,W] of activations.
  const value = new Map<string, string>();
  const shape = new Map<string, [number, number, number]>();
  let relu6: [string, string] | undefined;
  const clipBounds = (): [string, string] => {
    relu6 ??= [constF32(g, 'relu6_min', [], [0]), constF32(g, 'relu6_max', [], [6])];
    return relu6;
  };
  const weight = (tfName: string) => {
    const w = model.weights.get(tfName);
    if (!w) throw new Error(`missing weight ${tfName}`);
    return w;
  };
  const isConst = (name: string) => byName.get(name)?.op === 'Const';
  const input = (n: TfNode, i: number): string => {
    const name = n.input?.[i];
    if (name === undefined) throw new Error(`${n.name}: missing input ${i}`);
    const v = value.get(name);
    if (!v) throw new Error(`${n.name}: input ${name} not converted`);
    return v;
  };
  const scalarConst = (name: string): string => {
    const w = weight(name);
    if (w.data.length !== 1) throw new Error(`${name}: expected a scalar`);
    const existing = value.get(name);
    if (existing) return existing;
    const v = constF32(g, shortName(name), [], w.data);
    value.set(name, v);
    return v;
  };

  let inputName = '';
  let featureMap = '';
  let pooled = '';
  let logits: string | undefined;

  for (const n of nodes) {
    const out = shortName(n.name);
    switch (n.op) {
      case 'Const':
        break;
      case 'Placeholder': {
        inputName = g.input(INPUT_NAME, 'float32', ['batch', 3, INPUT_SIZE, INPUT_SIZE]);
        value.set(n.name, inputName);
        shape.set(n.name, [3, INPUT_SIZE, INPUT_SIZE]);
        break;
      }
      case 'Mul':
      case 'Sub': {
        const [a, b] = n.input ?? [];
        if (a === undefined || b === undefined) throw new Error(`${n.name}: expected 2 inputs`);
        let x: string;
        let xName: string;
        let c: string;
        if (isConst(b) && !isConst(a)) {
          x = input(n, 0);
          xName = a;
          c = scalarConst(b);
        } else if (n.op === 'Mul' && isConst(a) && !isConst(b)) {
          x = input(n, 1);
          xName = b;
          c = scalarConst(a);
        } else {
          throw new Error(`${n.name}: only tensor-op-scalar-Const is supported`);
        }
        value.set(n.name, op(g, n.op, [x, c], out));
        shape.set(n.name, shape.get(xName)!);
        break;
      }
      case '_FusedConv2D':
      case 'FusedDepthwiseConv2dNative': {
        const depthwise = n.op === 'FusedDepthwiseConv2dNative';
        if ((attrString(n, 'data_format') ?? 'NHWC') !== 'NHWC') throw new Error(`${n.name}: expected NHWC`);
        const fused = attrStrings(n, 'fused_ops');
        if (fused[0] !== 'BiasAdd' || fused.length > 2 || (fused.length === 2 && fused[1] !== 'Relu6')) {
          throw new Error(`${n.name}: unsupported fused ops ${fused.join(',')}`);
        }
        const inName = n.input?.[0] ?? '';
        const x = input(n, 0);
        const [cin, h, w] = shape.get(inName)!;
        const wt = weight(n.input?.[1] ?? '');
        const bias = weight(n.input?.[2] ?? '');
        const [kh, kw, wi, wo] = wt.shape;
        const strides = attrInts(n, 'strides') ?? [1, 1, 1, 1];
        const dil = attrInts(n, 'dilations') ?? [1, 1, 1, 1];
        const sh = strides[1];
        const sw = strides[2];
        const dh = dil[1];
        const dw = dil[2];
        const padding = attrString(n, 'padding');
        let ph: [number, number, number];
        let pw: [number, number, number];
        if (padding === 'SAME') {
          ph = samePads(h, kh, sh, dh);
          pw = samePads(w, kw, sw, dw);
        } else if (padding === 'VALID') {
          ph = [0, 0, Math.floor((h - ((kh - 1) * dh + 1)) / sh) + 1];
          pw = [0, 0, Math.floor((w - ((kw - 1) * dw + 1)) / sw) + 1];
        } else {
          throw new Error(`${n.name}: unsupported padding ${padding}`);
        }
        let cout: number;
        let group: number;
        let onnxW: Float32Array;
        let wDims: number[];
        if (depthwise) {
          // [kh,kw,C,m] -> [C*m,1,kh,kw], output channel c*m + j reads input channel c.
          if (wi !== cin) throw new Error(`${n.name}: channel mismatch`);
          cout = wi * wo;
          group = wi;
          onnxW = new Float32Array(cout * kh * kw);
          for (let y = 0; y < kh; y++)
            for (let xk = 0; xk < kw; xk++)
              for (let c = 0; c < wi; c++)
                for (let j = 0; j < wo; j++)
                  onnxW[((c * wo + j) * kh + y) * kw + xk] = wt.data[((y * kw + xk) * wi + c) * wo + j];
          wDims = [cout, 1, kh, kw];
        } else {
          // HWIO -> OIHW
          if (wi !== cin) throw new Error(`${n.name}: channel mismatch`);
          cout = wo;
          group = 1;
          onnxW = new Float32Array(cout * wi * kh * kw);
          for (let y = 0; y < kh; y++)
            for (let xk = 0; xk < kw; xk++)
              for (let i = 0; i < wi; i++)
                for (let o = 0; o < wo; o++)
                  onnxW[((o * wi + i) * kh + y) * kw + xk] = wt.data[((y * kw + xk) * wi + i) * wo + o];
          wDims = [cout, wi, kh, kw];
        }
        if (bias.data.length !== cout) throw new Error(`${n.name}: bias size mismatch`);
        const base = out.replace(/\/(Relu6|depthwise|BatchNorm\/FusedBatchNormV3)$/, '');
        const wName = constF32(g, `${base}/W`, wDims, onnxW);
        const bName = constF32(g, `${base}/B`, [cout], bias.data);
        const conv = op(g, 'Conv', [x, wName, bName], fused.length === 2 ? `${base}/conv` : out, {
          dilations: { type: 'ints', value: [dh, dw] },
          group: { type: 'int', value: group },
          kernel_shape: { type: 'ints', value: [kh, kw] },
          pads: { type: 'ints', value: [ph[0], pw[0], ph[1], pw[1]] },
          strides: { type: 'ints', value: [sh, sw] },
        });
        let y = conv;
        if (fused.length === 2) {
          const [lo, hi] = clipBounds();
          y = op(g, 'Clip', [conv, lo, hi], out);
        }
        value.set(n.name, y);
        shape.set(n.name, [cout, ph[2], pw[2]]);
        break;
      }
      case 'AddV2': {
        const s0 = shape.get(n.input?.[0] ?? '');
        const s1 = shape.get(n.input?.[1] ?? '');
        if (!s0 || !s1 || s0.join() !== s1.join()) throw new Error(`${n.name}: shape mismatch`);
        value.set(n.name, op(g, 'Add', [input(n, 0), input(n, 1)], out));
        shape.set(n.name, s0);
        break;
      }
      case 'AvgPool': {
        const inName = n.input?.[0] ?? '';
        const [c, h, w] = shape.get(inName)!;
        const k = attrInts(n, 'ksize') ?? [];
        if (k[1] !== h || k[2] !== w || attrString(n, 'padding') !== 'VALID') {
          throw new Error(`${n.name}: only whole-map VALID average pooling is supported`);
        }
        const x = input(n, 0);
        featureMap = x;
        let p: string;
        if (options.pooling === 'avg') {
          p = op(g, 'GlobalAveragePool', [x], 'pool/avg');
        } else {
          // GeM: (mean(max(x, eps)^3))^(1/3); the cube is written as x*x*x (cheap, simple gradient).
          const eps = constF32(g, 'pool/gem_eps', [], [GEM_EPS]);
          const inv = constF32(g, 'pool/gem_inv_p', [], [1 / GEM_P]);
          const xc = op(g, 'Max', [x, eps], 'pool/gem_clamp');
          const x2 = op(g, 'Mul', [xc, xc], 'pool/gem_sq');
          const x3 = op(g, 'Mul', [x2, xc], 'pool/gem_cube');
          const m = op(g, 'GlobalAveragePool', [x3], 'pool/gem_mean');
          p = op(g, 'Pow', [m, inv], 'pool/gem');
        }
        value.set(n.name, p);
        shape.set(n.name, [c, 1, 1]);
        break;
      }
      case 'Squeeze': {
        const dims = attrInts(n, 'squeeze_dims') ?? [];
        const [, h, w] = shape.get(n.input?.[0] ?? '')!;
        if (dims.join() !== '1,2' || h !== 1 || w !== 1) throw new Error(`${n.name}: unsupported squeeze`);
        pooled = op(g, 'Flatten', [input(n, 0)], 'pooled', { axis: { type: 'int', value: 1 } });
        value.set(n.name, pooled);
        break;
      }
      case '_FusedMatMul': {
        if (!options.withLogits) break;
        const fused = attrStrings(n, 'fused_ops');
        if (fused.join() !== 'BiasAdd' || n.attr?.transpose_a?.b || n.attr?.transpose_b?.b) {
          throw new Error(`${n.name}: unsupported MatMul form`);
        }
        const wt = weight(n.input?.[1] ?? '');
        const b = weight(n.input?.[2] ?? '');
        const wn = constF32(g, 'classifier/W', wt.shape, wt.data);
        const bn = constF32(g, 'classifier/B', b.shape, b.data);
        logits = op(g, 'Gemm', [input(n, 0), wn, bn], 'logits');
        value.set(n.name, logits);
        break;
      }
      case 'Softmax':
      case 'Identity':
        break;
      default:
        throw new Error(`unsupported TF op ${n.op} (${n.name})`);
    }
  }
  if (!inputName || !pooled || !featureMap) throw new Error('graph has no input or pooled output');
  return { input: inputName, featureMap, pooled, ...(logits ? { logits } : {}) };
}
