/**
 * Runs the converted backbone with onnxruntime-node (CPU, <= 2 threads, batch 16) and pools the last feature
 * map both ways (average and GeM p=3) in float64, so one pass serves every head candidate.
 */
import * as ort from 'onnxruntime-node';
import type { RgbImage } from '../../src/core/image/types.ts';
import { FEATURE_DIM, GEM_EPS, GEM_P, INPUT_SIZE } from './convert-mobilenet.ts';
import { buildFeatureMapModel, serialize } from './extractor-graph.ts';
import { toExtractorInput } from './images.ts';
import type { NsfwjsModel } from './nsfwjs-reader.ts';

export const BATCH = 16;
export const THREADS = 2;

export interface PooledFeatures {
  n: number;
  avg: Float32Array;
  gem: Float32Array;
}

export async function createSession(bytes: Uint8Array, threads = THREADS): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(bytes, {
    executionProviders: ['cpu'],
    intraOpNumThreads: Math.min(threads, 2),
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });
}

export class FeatureExtractor {
  private constructor(private readonly session: ort.InferenceSession) {}

  static async create(model: NsfwjsModel): Promise<FeatureExtractor> {
    return new FeatureExtractor(await createSession(serialize(buildFeatureMapModel(model))));
  }

  /** Pooled features of `count` images produced on demand by `get(i)` (decoded lazily, batch by batch). */
  async extract(
    count: number,
    get: (i: number) => Promise<RgbImage>,
    onProgress?: (done: number) => void,
  ): Promise<PooledFeatures> {
    const avg = new Float32Array(count * FEATURE_DIM);
    const gem = new Float32Array(count * FEATURE_DIM);
    const plane = 3 * INPUT_SIZE * INPUT_SIZE;
    const input = new Float32Array(BATCH * plane);
    for (let start = 0; start < count; start += BATCH) {
      const b = Math.min(BATCH, count - start);
      for (let j = 0; j < b; j++) await toExtractorInput(await get(start + j), input, j * plane);
      const x = new ort.Tensor('float32', input.subarray(0, b * plane), [b, 3, INPUT_SIZE, INPUT_SIZE]);
      const out = await this.session.run({ image: x });
      const fm = out.feature_map.data as Float32Array;
      const hw = fm.length / (b * FEATURE_DIM);
      for (let j = 0; j < b; j++) {
        for (let c = 0; c < FEATURE_DIM; c++) {
          const base = (j * FEATURE_DIM + c) * hw;
          let s = 0;
          let s3 = 0;
          for (let k = 0; k < hw; k++) {
            const v = fm[base + k];
            s += v;
            const vc = Math.max(v, GEM_EPS);
            s3 += vc * vc * vc;
          }
          avg[(start + j) * FEATURE_DIM + c] = s / hw;
          gem[(start + j) * FEATURE_DIM + c] = (s3 / hw) ** (1 / GEM_P);
        }
      }
      out.feature_map.dispose?.();
      onProgress?.(start + b);
    }
    return { n: count, avg, gem };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
