/**
 * For tests: an ActivationRuntime on onnxruntime-node around the small CNN extractor of
 * __fixtures__/step_cnn.onnx (scripts/oracles/step_golden.py: input [N,3,16,16], 12-d unit feature), with
 * step graphs for any view count.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { loadModel, saveModel } from '../onnx/proto-io.ts';
import type { ActivationRuntime } from './runtime.ts';
import { buildStepGraph } from './step-graph.ts';

export async function loadTestRuntime(): Promise<ActivationRuntime> {
  const extractorBytes = readFileSync(join(import.meta.dirname, '__fixtures__', 'step_cnn.onnx'));
  const options = { executionProviders: ['cpu'], intraOpNumThreads: 1 };
  const stepBytes = (views: number) => saveModel(buildStepGraph(loadModel(extractorBytes), { views }));
  return {
    ort,
    featureSession: await ort.InferenceSession.create(extractorBytes, options),
    stepSession: await ort.InferenceSession.create(stepBytes(1), options),
    stepSessionFor: (views) => ort.InferenceSession.create(stepBytes(views), options),
    size: 16,
    dim: 12,
  };
}
