/**
 * Reads the TensorFlow.js graph model that ships inside the `nsfwjs` npm package.
 *
 * nsfwjs 4.4.0 bundles each model as UMD/browserify modules: `model.min.js` exports the model.json object
 * (a JS object literal) and every `group1-shardXofY.min.js` exports one weight shard as a base64 string.
 * We evaluate those modules in an empty `node:vm` context (no require, no globals) to get the values,
 * then decode the uint8-quantized weights exactly as @tensorflow/tfjs-core's io.decodeWeights does:
 * w = q * scale + min, computed in float64 and stored as float32.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import vm from 'node:vm';

export const NSFWJS_PACKAGE = 'nsfwjs';
export const NSFWJS_MODEL_DIR = 'dist/models/mobilenet_v2_mid';

/** Subset of the TF.js model.json format we use. */
export interface TfAttrValue {
  s?: string;
  i?: string | number;
  f?: number;
  b?: boolean;
  type?: string;
  list?: { i?: (string | number)[]; s?: string[]; f?: number[] };
  shape?: unknown;
  tensor?: unknown;
}

export interface TfNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, TfAttrValue>;
}

export interface TfWeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { min?: number; scale?: number; dtype: string };
}

export interface TfModelJson {
  format: string;
  generatedBy: string;
  convertedBy: string;
  modelTopology: { node: TfNode[]; versions?: unknown; library?: unknown };
  weightsManifest: { paths: string[]; weights: TfWeightSpec[] }[];
  userDefinedMetadata?: unknown;
}

export interface DecodedWeight {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface NsfwjsModel {
  /** Package version read from node_modules/nsfwjs/package.json. */
  packageVersion: string;
  /** Absolute path of the model directory. */
  dir: string;
  /** Files read, relative to the package root, with their sha256. */
  files: { path: string; sha256: string }[];
  modelJson: TfModelJson;
  /** All weight shards concatenated, as the TF.js IO layer sees them (still quantized). */
  weightData: Uint8Array;
  /** Weight specs in manifest order (the order of weightData). */
  weightSpecs: TfWeightSpec[];
  /** Dequantized float32 weights by name. */
  weights: Map<string, DecodedWeight>;
}

/** Evaluates a UMD module's source in an empty context and returns what it assigns to module.exports. */
export function evalUmdModule(source: string, filename: string): unknown {
  const mod: { exports: unknown } = { exports: {} };
  const context = vm.createContext({ module: mod, exports: mod.exports });
  new vm.Script(source, { filename }).runInContext(context, { timeout: 30_000 });
  return mod.exports;
}

function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Finds the installed nsfwjs package root (works from any cwd inside the project). */
export function nsfwjsPackageRoot(from: string = process.cwd()): string {
  const req = createRequire(join(from, 'noop.js'));
  // package.json is not exported by nsfwjs' "exports" map, so resolve the main entry and walk up.
  let dir = dirname(req.resolve(NSFWJS_PACKAGE));
  for (let i = 0; i < 6; i++) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj)) {
      const parsed = JSON.parse(readFileSync(pj, 'utf8')) as { name?: string };
      if (parsed.name === NSFWJS_PACKAGE) return dir;
    }
    dir = dirname(dir);
  }
  throw new Error('cannot locate the nsfwjs package root');
}

/** Dequantizes one weight from its raw bytes, mirroring tfjs-core io_utils.decodeWeights. */
export function dequantize(spec: TfWeightSpec, bytes: Uint8Array): Float32Array {
  const size = spec.shape.reduce((a, b) => a * b, 1);
  if (spec.dtype !== 'float32') throw new Error(`unsupported weight dtype ${spec.dtype} (${spec.name})`);
  const q = spec.quantization;
  if (!q) {
    return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + size * 4));
  }
  if (q.dtype !== 'uint8' && q.dtype !== 'uint16') {
    throw new Error(`unsupported quantization ${q.dtype} (${spec.name})`);
  }
  if (q.min === undefined || q.scale === undefined) throw new Error(`quantization without min/scale (${spec.name})`);
  const quantized =
    q.dtype === 'uint8'
      ? bytes.subarray(0, size)
      : new Uint16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + size * 2));
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = quantized[i] * q.scale + q.min;
  return out;
}

function bytesPerElement(spec: TfWeightSpec): number {
  const q = spec.quantization?.dtype;
  if (q === 'uint8') return 1;
  if (q === 'uint16') return 2;
  return 4;
}

/** Reads and decodes nsfwjs' mobilenet_v2_mid model. */
export function readNsfwjsModel(packageRoot: string = nsfwjsPackageRoot()): NsfwjsModel {
  const pkg = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string };
  const dir = join(packageRoot, NSFWJS_MODEL_DIR);
  const files: { path: string; sha256: string }[] = [];
  const load = (file: string): unknown => {
    const source = readFileSync(join(dir, file), 'utf8');
    files.push({ path: `${NSFWJS_MODEL_DIR}/${file}`, sha256: sha256(source) });
    return evalUmdModule(source, file);
  };
  const modelJson = load('model.min.js') as TfModelJson;
  if (modelJson.format !== 'graph-model') throw new Error(`unexpected model format ${modelJson.format}`);
  if (modelJson.weightsManifest.length !== 1) throw new Error('expected a single weights group');
  const group = modelJson.weightsManifest[0];
  const shards = group.paths.map((p) => {
    const b64 = load(`${p}.min.js`);
    if (typeof b64 !== 'string') throw new Error(`shard ${p} did not export a string`);
    return new Uint8Array(Buffer.from(b64, 'base64'));
  });
  const total = shards.reduce((a, s) => a + s.length, 0);
  const weightData = new Uint8Array(total);
  let off = 0;
  for (const s of shards) {
    weightData.set(s, off);
    off += s.length;
  }
  const weights = new Map<string, DecodedWeight>();
  off = 0;
  for (const spec of group.weights) {
    const n = spec.shape.reduce((a, b) => a * b, 1) * bytesPerElement(spec);
    if (off + n > total) throw new Error(`weight data too short at ${spec.name}`);
    // Copy into a fresh, aligned buffer so uint16/float32 views are valid.
    const bytes = weightData.slice(off, off + n);
    weights.set(spec.name, { name: spec.name, shape: spec.shape.slice(), data: dequantize(spec, bytes) });
    off += n;
  }
  if (off !== total) throw new Error(`weight data has ${total - off} trailing bytes`);
  return { packageVersion: pkg.version, dir, files, modelJson, weightData, weightSpecs: group.weights, weights };
}

/** Decodes a base64 TF attribute string (e.g. padding "U0FNRQ==" -> "SAME"). */
export function attrString(node: TfNode, key: string): string | undefined {
  const s = node.attr?.[key]?.s;
  return s === undefined ? undefined : Buffer.from(s, 'base64').toString('utf8');
}

export function attrInts(node: TfNode, key: string): number[] | undefined {
  const l = node.attr?.[key]?.list?.i;
  return l === undefined ? undefined : l.map((v) => Number(v));
}

export function attrStrings(node: TfNode, key: string): string[] {
  const l = node.attr?.[key]?.list?.s;
  return l === undefined ? [] : l.map((v) => Buffer.from(v, 'base64').toString('utf8'));
}
