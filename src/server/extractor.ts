/**
 * The extractor on the server, for search by image: decode (src/core/image/decode.node.ts, sharp) ->
 * whole-image antialiased resize to the model's input size in [0,1] (src/core/image/resize.ts, the same
 * preprocessing as the browser) -> the ONNX model on onnxruntime-node (CPU) -> the L2-normalised feature.
 * The model file is checked against its manifest's sha256 at load time.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { FindableError } from '../core/errors';
import { resizeRgbToUnit } from '../core/image/resize';
import type { RgbImage } from '../core/image/types';

/** The fields of public/models/extractor.json the server relies on (written by scripts/build-models.ts). */
export interface ExtractorManifest {
  id: string;
  version?: string;
  file: string;
  sha256: string;
  input: { name: string; shape: [string | number, number, number, number] };
  output: { name: string; dim: number };
}

export interface Extractor {
  readonly id: string;
  readonly sha256: string;
  readonly dim: number;
  /** One image's feature (dim floats). Calls are serialised: one inference at a time. */
  extract(image: RgbImage): Promise<Float32Array>;
}

function invalid(message: string, path: string): FindableError {
  return new FindableError('MODEL_INVALID', `${path}: ${message}`, { path });
}

export function parseManifest(json: unknown, path: string): ExtractorManifest {
  const m = json as Partial<ExtractorManifest> | null;
  const shape = m?.input?.shape;
  if (
    !m ||
    typeof m.id !== 'string' ||
    typeof m.file !== 'string' ||
    typeof m.sha256 !== 'string' ||
    typeof m.input?.name !== 'string' ||
    !Array.isArray(shape) ||
    shape.length !== 4 ||
    shape[1] !== 3 ||
    !Number.isInteger(shape[2]) ||
    !Number.isInteger(shape[3]) ||
    typeof m.output?.name !== 'string' ||
    !Number.isInteger(m.output?.dim)
  ) {
    throw invalid(
      'not an extractor manifest (id, file, sha256, input {name, shape [N,3,H,W]}, output {name, dim})',
      path,
    );
  }
  return m as ExtractorManifest;
}

/** Loads the model named by a manifest (extractor.json) with onnxruntime-node. */
export async function loadOnnxExtractor(manifestPath: string, options: { threads?: number } = {}): Promise<Extractor> {
  let manifest: ExtractorManifest;
  try {
    manifest = parseManifest(JSON.parse(readFileSync(manifestPath, 'utf8')), manifestPath);
  } catch (e) {
    if (e instanceof FindableError) throw e;
    throw invalid(`cannot read the manifest (${(e as Error).message})`, manifestPath);
  }
  const modelPath = join(dirname(manifestPath), manifest.file);
  const bytes = readFileSync(modelPath);
  const digest = createHash('sha256').update(bytes).digest('hex');
  if (digest !== manifest.sha256) {
    throw invalid(
      `sha256 ${digest} does not match the manifest's ${manifest.sha256}. Run "npm run models".`,
      modelPath,
    );
  }
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(bytes, {
    executionProviders: ['cpu'],
    intraOpNumThreads: options.threads ?? 1,
    interOpNumThreads: 1,
  });
  const [, , height, width] = manifest.input.shape as [unknown, number, number, number];
  let queue: Promise<unknown> = Promise.resolve();
  const run = async (image: RgbImage): Promise<Float32Array> => {
    const input = resizeRgbToUnit(image, width, height);
    const tensor = new ort.Tensor('float32', input.data, [1, 3, height, width]);
    const out = await session.run({ [manifest.input.name]: tensor });
    const y = out[manifest.output.name];
    if (!y || y.data.length !== manifest.output.dim || !(y.data instanceof Float32Array)) {
      throw invalid(`output ${manifest.output.name} is not ${manifest.output.dim} float32 values`, modelPath);
    }
    return Float32Array.from(y.data);
  };
  return {
    id: manifest.id,
    sha256: manifest.sha256,
    dim: manifest.output.dim,
    extract(image) {
      const result = queue.then(() => run(image));
      queue = result.catch(() => undefined);
      return result;
    },
  };
}
