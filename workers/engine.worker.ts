/**
 * The compute worker: a thin comlink shell around src/core. It owns the long-lived state (backend choice,
 * the two onnxruntime sessions, the codebook's quantizer) and runs one job at a time. Every job has an id;
 * cancel(id) aborts that job's AbortController here (the worker is never terminated: sessions are
 * expensive). Photo bytes come in and files go out as transferred buffers. Results cross the boundary as
 * {ok, value} | {ok: false, error: {code, message}} so the FindableError code survives.
 */
import * as Comlink from 'comlink';
import { activatePhoto } from '../src/core/activation/engine';
import { extractFeatures } from '../src/core/activation/extract';
import type { ActivationSettings } from '../src/core/activation/settings';
import { indexFromCodebook, splitStandaloneCode } from '../src/core/codebook/to-index';
import { FindableError, isFindableError, throwIfAborted } from '../src/core/errors';
import { decodeImage } from '../src/core/image/decode.browser';
import { amplifiedDifference } from '../src/core/image/difference';
import { carryMetadata } from '../src/core/image/metadata';
import type { VectorIndex } from '../src/core/index/types';
import {
  type BackendChoice,
  type BackendPreference,
  type ComputeBackend,
  chooseBackend,
  type GpuLike,
} from '../src/core/runtime/backend-choice';
import { type LoadedAssets, loadAssets } from './assets';
import { type BackendRuntime, createRuntime, sha256Hex } from './ort-runtime';
import type {
  ActivationOutput,
  EngineInfo,
  FeatureOutput,
  InitOptions,
  InitProgress,
  JobProgress,
  MetadataOutcome,
  OutputOptions,
  WorkerErrorShape,
} from './protocol';
import { encodeImage, thumbnail } from './render';

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: WorkerErrorShape };

let choice: Promise<BackendChoice> | null = null;
let choicePreference: BackendPreference | null = null;
let assets: Promise<LoadedAssets> | null = null;
let quantizer: VectorIndex | null = null;
let runtime: Promise<BackendRuntime> | null = null;
let runtimeBackend: ComputeBackend | null = null;
/** Set after a WebGPU failure: the rest of this worker's life runs on wasm. */
let gpuFailed: string | null = null;
/** Test hook: make the next WebGPU step fail like a lost device. */
let faultNextGpuRun = false;

const jobs = new Map<string, AbortController>();
let queue: Promise<unknown> = Promise.resolve();

function toErrorShape(e: unknown): WorkerErrorShape {
  if (isFindableError(e)) return { code: e.code, message: e.message };
  if (e instanceof DOMException && e.name === 'AbortError') return { code: 'ABORTED', message: 'Cancelled.' };
  return { code: 'UNKNOWN', message: e instanceof Error ? e.message : String(e) };
}

async function outcome<T>(work: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await work() };
  } catch (e) {
    return { ok: false, error: toErrorShape(e) };
  }
}

function probe(preference: BackendPreference): Promise<BackendChoice> {
  if (!choice || choicePreference !== preference) {
    const gpu = (self.navigator as unknown as { gpu?: GpuLike }).gpu;
    choice = chooseBackend(gpu, preference);
    choicePreference = preference;
  }
  return choice;
}

async function effectiveBackend(preference: BackendPreference): Promise<ComputeBackend> {
  const c = await probe(preference);
  return gpuFailed ? 'wasm' : c.backend;
}

async function ensureRuntime(preference: BackendPreference, onProgress: (p: InitProgress) => void) {
  assets ??= loadAssets(onProgress).catch((e) => {
    assets = null;
    throw e;
  });
  const loaded = await assets;
  quantizer ??= indexFromCodebook(loaded.codebook);
  const backend = await effectiveBackend(preference);
  if (!runtime || runtimeBackend !== backend) {
    if (runtimeBackend === 'webgpu' && backend === 'wasm' && gpuFailed) {
      onProgress({ kind: 'backend-fallback', from: 'webgpu', to: 'wasm', reason: gpuFailed });
    }
    const previous = runtime;
    runtimeBackend = backend;
    runtime = (async () => {
      if (previous) await (await previous.catch(() => null))?.release();
      const digest = await sha256Hex(loaded.modelBytes);
      if (digest !== loaded.manifest.sha256) {
        throw new FindableError(
          'MODEL_INVALID',
          `The downloaded model's sha256 (${digest}) differs from its manifest's. Reload to download it again.`,
        );
      }
      return createRuntime(
        backend,
        loaded.manifest,
        loaded.modelBytes,
        (phase) => onProgress({ kind: 'session', phase, backend }),
        (reason) => {
          // The next job (or the current one, whose run fails) rebuilds the sessions on wasm.
          gpuFailed ??= reason;
        },
      );
    })();
    runtime.catch(() => {
      runtime = null;
      runtimeBackend = null;
    });
  }
  return { rt: await runtime, loaded, quantizer };
}

async function info(preference: BackendPreference, rt: BackendRuntime, loaded: LoadedAssets): Promise<EngineInfo> {
  const c = await probe(preference);
  return {
    backend: rt.backend,
    choice: gpuFailed ? { ...c, backend: 'wasm', reason: `WebGPU failed (${gpuFailed}), so WebAssembly is used.` } : c,
    extractor: {
      id: loaded.manifest.id,
      sha256: loaded.manifest.sha256,
      size: rt.size,
      dim: rt.dim,
      test: loaded.test,
    },
    codebook: {
      version: loaded.codebook.contentHash,
      factory: loaded.codebook.factory,
      source: loaded.codebookSource,
      cached: loaded.codebookCached,
    },
  };
}

/** Runs jobs one at a time (the sessions cannot run two graphs at once); waiting is cancellable. */
function serialised<T>(signal: AbortSignal, work: () => Promise<T>): Promise<T> {
  const run = queue.then(() => {
    throwIfAborted(signal);
    return work();
  });
  queue = run.catch(() => undefined);
  return run;
}

function isRuntimeFailure(e: unknown): boolean {
  if (!isFindableError(e)) return true;
  return ![
    'ABORTED',
    'IMAGE_EMPTY',
    'IMAGE_CORRUPT',
    'IMAGE_UNSUPPORTED',
    'IMAGE_TOO_LARGE',
    'INVALID_ARGUMENT',
  ].includes(e.code);
}

/** Runs `work` on the current runtime; a WebGPU failure switches to wasm for good and retries once. */
async function withFallback<T>(
  preference: BackendPreference,
  onProgress: (p: JobProgress) => void,
  work: (rt: BackendRuntime, q: VectorIndex, loaded: LoadedAssets) => Promise<T>,
): Promise<T> {
  const first = await ensureRuntime(preference, onProgress);
  try {
    if (first.rt.backend === 'webgpu' && faultNextGpuRun) {
      faultNextGpuRun = false;
      throw new Error('Simulated WebGPU device loss (test hook).');
    }
    return await work(first.rt, first.quantizer, first.loaded);
  } catch (e) {
    if (first.rt.backend !== 'webgpu' || !isRuntimeFailure(e)) throw e;
    gpuFailed = e instanceof Error ? e.message : String(e);
    onProgress({ kind: 'backend-fallback', from: 'webgpu', to: 'wasm', reason: gpuFailed });
    const again = await ensureRuntime(preference, onProgress);
    return work(again.rt, again.quantizer, again.loaded);
  }
}

type EncodedFile = Awaited<ReturnType<typeof encodeImage>>;

/**
 * The original's EXIF / ICC / XMP copied into the encoded file. A failure here never costs the user the
 * activated photo: it is delivered without metadata, and the message says so.
 */
function withMetadata(original: Uint8Array, file: EncodedFile): { file: EncodedFile; metadata: MetadataOutcome } {
  try {
    const carried = carryMetadata(original, new Uint8Array(file.bytes));
    return {
      file: { ...file, bytes: carried.bytes.buffer },
      metadata: { kept: carried.kept, warnings: carried.warnings.map((w) => w.message) },
    };
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    return { file, metadata: { kept: [], warnings: [`Metadata could not be written (${why}); the photo has none.`] } };
  }
}

/** Frees the MessagePort behind a comlink-proxied callback once its job is over. */
function releaseCallback(callback: unknown): void {
  const remote = callback as { [Comlink.releaseProxy]?: () => void } | undefined;
  try {
    remote?.[Comlink.releaseProxy]?.();
  } catch {
    // already released
  }
}

function startJob(jobId: string): AbortController {
  jobs.get(jobId)?.abort();
  const controller = new AbortController();
  jobs.set(jobId, controller);
  return controller;
}

const api = {
  /** Decides (once per preference) which backend this worker will compute on, and why. */
  probeBackend(preference: BackendPreference = 'auto'): Promise<BackendChoice> {
    return probe(preference);
  },

  /** Downloads the model and codebook, creates and warms up the sessions (once). */
  init(options: InitOptions, onProgress?: (p: InitProgress) => void): Promise<Outcome<EngineInfo>> {
    // Serialised with the jobs: a new preference must not release the sessions a running job uses.
    return outcome(() =>
      serialised(new AbortController().signal, async () => {
        const { rt, loaded } = await ensureRuntime(options.preference, (p) => onProgress?.(p));
        return info(options.preference, rt, loaded);
      }),
    );
  },

  /** Activates one photo (its file bytes); the output file and previews come back transferred. */
  async activate(
    jobId: string,
    bytes: ArrayBuffer,
    settings: Partial<ActivationSettings>,
    output: OutputOptions,
    preference: BackendPreference,
    onProgress?: (p: JobProgress) => void,
  ): Promise<Outcome<ActivationOutput>> {
    const controller = startJob(jobId);
    const { signal } = controller;
    const report = (p: JobProgress) => onProgress?.(p);
    const result = await outcome(() =>
      serialised(signal, async () => {
        const started = performance.now();
        report({ kind: 'stage', stage: 'decode' });
        const photo = await decodeImage(new Uint8Array(bytes), { signal });
        return withFallback(preference, report, async (rt, q, loaded) => {
          const r = await activatePhoto(rt, photo, q, settings, {
            signal,
            onProgress: (p) => {
              if (p.stage === 'optimise' && p.record && p.step && p.steps) {
                report({ kind: 'step', step: p.step, steps: p.steps, psnr: p.record.psnr, cosine: p.record.cosine });
              } else report({ kind: 'stage', stage: p.stage });
            },
          });
          throwIfAborted(signal);
          report({ kind: 'stage', stage: 'encode' });
          let file = await encodeImage(r.image, output);
          let metadata: MetadataOutcome | undefined;
          if (output.keepMetadata) ({ file, metadata } = withMetadata(new Uint8Array(bytes), file));
          const [thumb, difference, sha256] = await Promise.all([
            thumbnail(r.image),
            encodeImage(amplifiedDifference(photo, r.image), { format: 'png', quality: 1 }).then((f) => f.bytes),
            sha256Hex(file.bytes),
          ]);
          const value: ActivationOutput = {
            file,
            ...(metadata ? { metadata } : {}),
            thumbnail: thumb,
            difference,
            width: r.image.width,
            height: r.image.height,
            psnr: r.psnr,
            ssim: r.ssim,
            linf: r.linf,
            gain: r.gain,
            steps: r.steps.map((s) => ({ step: s.step, psnr: s.psnr, cosine: s.cosine })),
            registration: { ...splitStandaloneCode(q, r.code), codebookVersion: loaded.codebook.contentHash, sha256 },
            settings: r.settings,
            timings: r.timings,
            backend: rt.backend,
            totalMs: performance.now() - started,
          };
          return value;
        });
      }),
    );
    if (jobs.get(jobId) === controller) jobs.delete(jobId);
    releaseCallback(onProgress);
    if (!result.ok) return result;
    const v = result.value;
    return Comlink.transfer(result, [v.file.bytes, v.thumbnail, v.difference]);
  },

  /** The extractor's feature of a photo (for "check a copy"); nothing leaves the device here. */
  async extract(
    jobId: string,
    bytes: ArrayBuffer,
    preference: BackendPreference,
    onProgress?: (p: JobProgress) => void,
  ): Promise<Outcome<FeatureOutput>> {
    const controller = startJob(jobId);
    const { signal } = controller;
    const report = (p: JobProgress) => onProgress?.(p);
    const result = await outcome(() =>
      serialised(signal, async () => {
        report({ kind: 'stage', stage: 'decode' });
        const photo = await decodeImage(new Uint8Array(bytes), { signal });
        return withFallback(preference, report, async (rt, _q, loaded) => {
          report({ kind: 'stage', stage: 'extract' });
          const feature = await extractFeatures(rt, [photo], { signal });
          return { feature, width: photo.width, height: photo.height, codebookVersion: loaded.codebook.contentHash };
        });
      }),
    );
    if (jobs.get(jobId) === controller) jobs.delete(jobId);
    releaseCallback(onProgress);
    return result.ok ? Comlink.transfer(result, [result.value.feature.buffer as ArrayBuffer]) : result;
  },

  /** Aborts a job (running or waiting); true if it was known. */
  cancel(jobId: string): boolean {
    const c = jobs.get(jobId);
    if (!c) return false;
    c.abort(new FindableError('ABORTED', 'Cancelled by the user.'));
    jobs.delete(jobId);
    return true;
  },

  /** Test hook: the next WebGPU run fails as if the device were lost (checks the wasm fallback). */
  injectGpuFault(): void {
    faultNextGpuRun = true;
  },
};

export type EngineApi = typeof api;

Comlink.expose(api);
