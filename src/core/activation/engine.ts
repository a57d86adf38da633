/**
 * Activation of one photo (method.md section 2), the single implementation used by the CLI and the
 * browser worker. The onnxruntime binding arrives in `ActivationRuntime`; the quantizer is anything with
 * faiss-style encode / activationTarget (src/core/index).
 */
import type { Tensor } from 'onnxruntime-common';
import { FindableError, throwIfAborted } from '../errors.ts';
import { computeJnd } from '../image/jnd.ts';
import { linf } from '../image/linf.ts';
import { psnr } from '../image/psnr.ts';
import { resizeRgbToUnit } from '../image/resize.ts';
import { ssim } from '../image/ssim.ts';
import { rgbToImagenet, toImagenet, unitToRgb } from '../image/tensor.ts';
import type { FloatImage, RgbImage } from '../image/types.ts';
import { IMAGENET_STD } from '../image/types.ts';
import { Mt19937 } from '../index/rng.ts';
import { composeFullResolution } from './compose.ts';
import { extractFeatures } from './extract.ts';
import type { ActivationRuntime } from './runtime.ts';
import { type ActivationSettings, resolveSettings } from './settings.ts';
import { CHANNEL_SCALE, STEP_FETCH } from './step-graph.ts';
import { plainViews, sampleViews, type ViewSet } from './views.ts';

/** The quantizer, as the engine needs it (IndexIVFPQ and every VectorIndex qualify). */
export interface ActivationQuantizer {
  readonly d: number;
  /** faiss sa_encode: for IVF indexes the list number comes first, then the list code. */
  encode(x: Float32Array, n: number): Uint8Array;
  /** t = q(x), the reconstruction the feature is pulled towards. */
  activationTarget(x: Float32Array, n: number): Float32Array;
}

export interface StepRecord {
  step: number;
  loss: number;
  featureLoss: number;
  imageLoss: number;
  cosine: number;
  /** PSNR of the working-resolution image before rounding, from the step's own unit-space MSE. */
  psnr: number;
}

export type ActivationStage = 'extract' | 'prepare' | 'optimise' | 'compose' | 'measure';

export interface ActivationProgress {
  stage: ActivationStage;
  /** During 'optimise': the step just finished (1-based) and the total. */
  step?: number;
  steps?: number;
  record?: StepRecord;
}

export interface ActivationOptions {
  signal?: AbortSignal;
  onProgress?: (p: ActivationProgress) => void;
  /** Skip SSIM (the slowest measurement on very large photos). Default false. */
  skipSsim?: boolean;
}

/**
 * Activation gain: squared L2 distance to the target of the original feature and of the feature re-extracted
 * from the final 8-bit image; and their cosines to the target.
 */
export interface ActivationGain {
  before: number;
  after: number;
  cosineBefore: number;
  cosineAfter: number;
}

export interface ActivationResult {
  image: RgbImage;
  /** The ORIGINAL photo's feature code (faiss sa_encode bytes): what the index stores. */
  code: Uint8Array;
  /** The original feature x_o and its target q(x_o). */
  feature: Float32Array;
  target: Float32Array;
  psnr: number;
  ssim: number | null;
  linf: number;
  gain: ActivationGain;
  steps: StepRecord[];
  working: { width: number; height: number };
  settings: ActivationSettings;
  timings: Record<ActivationStage, number>;
}

function l2sq(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return s;
}

function cosine(a: Float32Array, b: Float32Array): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return ab / (Math.sqrt(aa * bb) || 1);
}

/** Working resolution: the photo scaled so its long side is at most `maxSide` (never upscaled). */
export function workingSize(width: number, height: number, maxSide: number): { width: number; height: number } {
  const scale = Math.min(1, maxSide / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** Perturbation in [0,1] RGB units from delta: alpha * H * tanh(delta_c) * a_c * std_c. */
export function perturbationFromDelta(
  delta: Float32Array,
  jnd: Float32Array,
  alpha: number,
  w: number,
  h: number,
): FloatImage {
  const hw = w * h;
  const out = new Float32Array(3 * hw);
  for (let c = 0; c < 3; c++) {
    const k = alpha * CHANNEL_SCALE[c] * IMAGENET_STD[c];
    for (let i = 0; i < hw; i++) out[c * hw + i] = k * jnd[i] * Math.tanh(delta[c * hw + i]);
  }
  return { width: w, height: h, space: 'unit', data: out };
}

async function scalar(t: Tensor): Promise<number> {
  return ((await t.getData()) as Float32Array)[0];
}

export async function activatePhoto(
  rt: ActivationRuntime,
  photo: RgbImage,
  quantizer: ActivationQuantizer,
  partialSettings: Partial<ActivationSettings> = {},
  options: ActivationOptions = {},
): Promise<ActivationResult> {
  const settings = resolveSettings(partialSettings);
  const { signal, onProgress } = options;
  if (quantizer.d !== rt.dim) {
    throw new FindableError(
      'SHAPE_MISMATCH',
      `The index expects ${quantizer.d}-d features but the extractor makes ${rt.dim}-d ones.`,
    );
  }
  const timings: Record<ActivationStage, number> = { extract: 0, prepare: 0, optimise: 0, compose: 0, measure: 0 };
  let t0 = performance.now();
  const lap = (stage: ActivationStage) => {
    const now = performance.now();
    timings[stage] += now - t0;
    t0 = now;
  };

  // 1. The original's feature, its code (what the index stores) and the target q(x_o).
  onProgress?.({ stage: 'extract' });
  const feature = await extractFeatures(rt, [photo], { signal });
  const code = quantizer.encode(feature, 1);
  const target = quantizer.activationTarget(feature, 1);
  lap('extract');
  throwIfAborted(signal);

  // 2. Working resolution, JND map, resize matrices to the extractor's input.
  onProgress?.({ stage: 'prepare' });
  const { width: w, height: h } = workingSize(photo.width, photo.height, settings.maxWorkingSide);
  // One pass over the full-resolution photo: the float working image gives both x_orig and the 8-bit
  // working image the JND map is computed on.
  const working = w === photo.width && h === photo.height ? null : resizeRgbToUnit(photo, w, h);
  const workingRgb = working ? unitToRgb(working) : photo;
  const xOrig = working ? toImagenet(working) : rgbToImagenet(photo);
  const jnd = computeJnd(workingRgb).data;
  const T = rt.ort.Tensor;
  const stepSession = settings.views === 0 ? rt.stepSession : await rt.stepSessionFor?.(settings.views + 1);
  if (!stepSession) {
    throw new FindableError(
      'INVALID_ARGUMENT',
      'This runtime only has the one-view step graph: set views to 0 (the paper preset).',
      { setting: 'views', value: settings.views },
    );
  }
  const viewFeeds = (v: ViewSet): Record<string, Tensor> => ({
    resize_rows: new T('float32', v.rows, [v.count, rt.size, h]),
    resize_cols: new T('float32', v.cols, [v.count, rt.size, w]),
    view_color: new T('float32', v.color, [v.count, 3, 3]),
    view_mean: new T('float32', v.mean, [v.count, 3, 3]),
    view_weight: new T('float32', v.weight, [v.count]),
  });
  // Edited views are drawn afresh at every step, from their own seeded stream.
  const viewRng = new Mt19937(settings.seed ^ 0x5eed);
  const plain = settings.views === 0 ? viewFeeds(plainViews(h, w, rt.size)) : {};
  const image = [1, 3, h, w];
  const rng = new Mt19937(settings.seed);
  const delta0 = new Float32Array(3 * w * h);
  for (let i = 0; i < delta0.length; i++) delta0[i] = 1e-6 * rng.randn();
  // The same at every step: uploaded once where the runtime can keep tensors on its device (WebGPU).
  const residents: Tensor[] = [];
  const constant: Record<string, Tensor> = {};
  try {
    for (const [name, t] of Object.entries({
      lr: new T('float32', Float32Array.of(settings.lr), [1]),
      x_orig: new T('float32', xOrig.data, image),
      jnd: new T('float32', jnd, [1, 1, h, w]),
      ...plain,
      target: new T('float32', target, [1, rt.dim]),
      alpha: new T('float32', Float32Array.of(settings.alpha), [1]),
      lambda_f: new T('float32', Float32Array.of(settings.lambdaF), [1]),
      lambda_i: new T('float32', Float32Array.of(settings.lambdaI), [1]),
    })) {
      const r = rt.resident?.(t) ?? t;
      if (r !== t) residents.push(r);
      constant[name] = r;
    }
  } catch (error) {
    for (const r of residents) r.dispose();
    throw error;
  }
  let state: Record<'delta' | 'adam_m' | 'adam_v', Tensor> = {
    delta: new T('float32', delta0, image),
    adam_m: new T('float32', new Float32Array(delta0.length), image),
    adam_v: new T('float32', new Float32Array(delta0.length), image),
  };
  lap('prepare');

  // 3. Adam steps; the state tensors go straight back in (GPU buffers stay on the GPU).
  const steps: StepRecord[] = [];
  try {
    for (let t = 1; t <= settings.steps; t++) {
      throwIfAborted(signal);
      const views = settings.views > 0 ? viewFeeds(sampleViews(h, w, rt.size, settings.views, viewRng)) : {};
      const out = await stepSession.run(
        { ...constant, ...views, ...state, step: new T('float32', Float32Array.of(t), [1]) },
        [...STEP_FETCH],
      );
      const record: StepRecord = {
        step: t,
        loss: await scalar(out.loss),
        featureLoss: await scalar(out.feature_loss),
        imageLoss: await scalar(out.image_loss),
        cosine: await scalar(out.cosine),
        psnr: -10 * Math.log10(Math.max(await scalar(out.unit_mse), 1e-20)),
      };
      for (const k of ['delta', 'adam_m', 'adam_v'] as const) if (t > 1) state[k].dispose();
      state = { delta: out.delta_next, adam_m: out.adam_m_next, adam_v: out.adam_v_next };
      steps.push(record);
      onProgress?.({ stage: 'optimise', step: t, steps: settings.steps, record });
    }
  } catch (error) {
    for (const k of ['delta', 'adam_m', 'adam_v'] as const) state[k].dispose();
    throw error;
  } finally {
    for (const r of residents) r.dispose();
  }
  const delta = (await state.delta.getData(true)) as Float32Array;
  state.adam_m.dispose();
  state.adam_v.dispose();
  lap('optimise');
  throwIfAborted(signal);

  // 4. Full-resolution output.
  onProgress?.({ stage: 'compose' });
  const perturbation = perturbationFromDelta(delta, jnd, settings.alpha, w, h);
  const activated = composeFullResolution(photo, perturbation);
  lap('compose');
  throwIfAborted(signal);

  // 5. What the user and the report see: quality, and the gain measured on the final 8-bit image.
  onProgress?.({ stage: 'measure' });
  const after = await extractFeatures(rt, [activated], { signal });
  const result: ActivationResult = {
    image: activated,
    code,
    feature,
    target,
    psnr: psnr(photo, activated),
    ssim: options.skipSsim ? null : ssim(photo, activated),
    linf: linf(photo, activated),
    gain: {
      before: l2sq(feature, target),
      after: l2sq(after, target),
      cosineBefore: cosine(feature, target),
      cosineAfter: cosine(after, target),
    },
    steps,
    working: { width: w, height: h },
    settings,
    timings,
  };
  lap('measure');
  result.timings = timings;
  return result;
}
