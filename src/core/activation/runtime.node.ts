/**
 * The activation runtime on onnxruntime-node (CLI, server, benchmarks): loads the shipped extractor named
 * by its manifest, checks the file's sha256, and builds the step graph from it in memory.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { FindableError } from '../errors.ts';
import { type ExtractorManifest, manifestInputSize, parseExtractorManifest } from '../models/manifest.ts';
import { loadModel, saveModel } from '../onnx/proto-io.ts';
import { type ActivationRuntime, sessionsByViewCount } from './runtime.ts';
import { buildStepGraph } from './step-graph.ts';

/** public/models/extractor.json in this repository. */
export const DEFAULT_MANIFEST = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '../../../public/models/extractor.json',
);

export interface NodeRuntimeOptions {
  manifestPath?: string;
  /** onnxruntime intra-op threads (default: 2, this machine's cores). */
  threads?: number;
  /** Build the step graph too (not needed to only extract features). Default true. */
  withStepGraph?: boolean;
}

export interface NodeRuntime extends ActivationRuntime {
  manifest: ExtractorManifest;
  release(): Promise<void>;
}

export function readExtractor(manifestPath = DEFAULT_MANIFEST): { manifest: ExtractorManifest; bytes: Uint8Array } {
  let manifest: ExtractorManifest;
  try {
    manifest = parseExtractorManifest(JSON.parse(readFileSync(manifestPath, 'utf8')), manifestPath);
  } catch (e) {
    if (e instanceof FindableError) throw e;
    throw new FindableError(
      'MODEL_INVALID',
      `Cannot read the extractor manifest ${manifestPath}: ${(e as Error).message}`,
    );
  }
  const modelPath = join(dirname(manifestPath), manifest.file);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(modelPath));
  } catch (e) {
    throw new FindableError('MODEL_INVALID', `Cannot read the extractor model ${modelPath}: ${(e as Error).message}`);
  }
  const digest = createHash('sha256').update(bytes).digest('hex');
  if (digest !== manifest.sha256) {
    throw new FindableError(
      'MODEL_INVALID',
      `${modelPath} has sha256 ${digest}, but its manifest says ${manifest.sha256}. Rebuild it with "npm run models".`,
    );
  }
  return { manifest, bytes };
}

export async function loadNodeRuntime(options: NodeRuntimeOptions = {}): Promise<NodeRuntime> {
  const { manifest, bytes } = readExtractor(options.manifestPath);
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    executionProviders: ['cpu'],
    intraOpNumThreads: options.threads ?? 2,
    interOpNumThreads: 1,
    // Idle threads sleep instead of spinning: on a machine shared with a server or a browser, spinning
    // intra-op threads steal the cores the other work needs (measured: 2 spinning threads 3x slower than 1).
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  };
  const featureSession = await ort.InferenceSession.create(bytes, sessionOptions);
  const stepSession =
    options.withStepGraph === false
      ? featureSession
      : await ort.InferenceSession.create(saveModel(buildStepGraph(loadModel(bytes))), sessionOptions);
  const withViews = sessionsByViewCount((views) =>
    ort.InferenceSession.create(saveModel(buildStepGraph(loadModel(bytes), { views })), sessionOptions),
  );
  return {
    ort,
    featureSession,
    stepSession,
    stepSessionFor: withViews.get,
    size: manifestInputSize(manifest),
    dim: manifest.output.dim,
    manifest,
    async release() {
      await featureSession.release();
      if (stepSession !== featureSession) await stepSession.release();
      for (const s of withViews.all()) await (await s).release();
    },
  };
}
