/**
 * The contract between the UI and the compute worker (types only, no code): progress events, results and
 * the serialisable error shape. Everything numeric in these objects is computed by src/core.
 */
import type { ActivationGain } from '../src/core/activation/engine';
import type { ActivationSettings } from '../src/core/activation/settings';
import type { BackendChoice, ComputeBackend } from '../src/core/runtime/backend-choice';

/** Progress of the one-time start-up: downloads, then session creation and warm-up. */
export type InitProgress =
  | { kind: 'download'; file: 'model' | 'codebook' | 'manifest'; loaded: number; total: number | null }
  | { kind: 'session'; phase: 'creating' | 'warming-up' | 'ready'; backend: ComputeBackend }
  | { kind: 'backend-fallback'; from: ComputeBackend; to: ComputeBackend; reason: string };

/** Progress of one job. */
export type JobProgress =
  | { kind: 'stage'; stage: 'decode' | 'extract' | 'prepare' | 'optimise' | 'compose' | 'measure' | 'encode' }
  | { kind: 'step'; step: number; steps: number; psnr: number; cosine: number }
  | InitProgress;

export interface EngineInfo {
  backend: ComputeBackend;
  choice: BackendChoice;
  extractor: { id: string; sha256: string; size: number; dim: number; test: boolean };
  codebook: { version: string; factory: string; source: string; cached: boolean };
}

export interface InitOptions {
  preference: 'auto' | ComputeBackend;
}

export type OutputFormat = 'png' | 'jpeg';

export interface OutputOptions {
  format: OutputFormat;
  /** JPEG quality, 0.5 .. 1. */
  quality: number;
  /** Copy the original's EXIF, (sRGB) ICC profile and XMP into the output (src/core/image/metadata.ts). */
  keepMetadata?: boolean;
}

/** What "keep metadata" carried over, and what it had to leave out (messages for the user). */
export interface MetadataOutcome {
  kept: ('exif' | 'icc' | 'xmp')[];
  warnings: string[];
}

/** The numbers shown for an activated photo, wherever it is shown (result view, queue, history). */
export interface ActivationNumbers {
  width: number;
  height: number;
  psnr: number;
  ssim: number | null;
  linf: number;
  gain: ActivationGain;
  backend: string;
}

/** What the worker sends back for one activated photo. Buffers are transferred, not copied. */
export interface ActivationOutput extends ActivationNumbers {
  file: { bytes: ArrayBuffer; mime: string; extension: 'png' | 'jpg' };
  /** Present when keepMetadata was asked for. */
  metadata?: MetadataOutcome;
  /** Small JPEG preview for history (long side 160). */
  thumbnail: ArrayBuffer;
  /** PNG of the difference, amplified (see workers/diff.ts). */
  difference: ArrayBuffer;
  steps: { step: number; psnr: number; cosine: number }[];
  /** What the server's registration takes: the IVF list (null without one) and the list code. */
  registration: { listId: number | null; code: Uint8Array; codebookVersion: string; sha256: string };
  settings: ActivationSettings;
  timings: Record<string, number>;
  backend: ComputeBackend;
  totalMs: number;
}

export interface FeatureOutput {
  feature: Float32Array;
  width: number;
  height: number;
  codebookVersion: string;
}

/** Errors cross the worker boundary as plain objects carrying the FindableError code. */
export interface WorkerErrorShape {
  code: string;
  message: string;
}
