import { FindableError } from '../errors.ts';

/** What a user can set for one activation (method.md section 2 defaults). */
export interface ActivationSettings {
  /** Adam steps. */
  steps: number;
  /** Adam learning rate. */
  lr: number;
  /** Perturbation strength alpha (scales the JND bound). */
  alpha: number;
  /** Weight of the feature loss 1 - cos(f(I), q(x_o)). */
  lambdaF: number;
  /** Weight of the image loss mean((I - I_o)^2), normalised space. */
  lambdaI: number;
  /**
   * Long side of the working resolution: the optimisation runs there and the perturbation is then
   * upsampled to the full photo. Photos smaller than this are optimised at their own size.
   * Default 512: the extractor sees the photo through an antialiased resize to 224 x 224, which removes
   * every frequency a 448-px image cannot hold, so a larger working image adds cost (the resize MatMuls
   * grow with its area) and nothing the extractor can see.
   */
  maxWorkingSide: number;
  /**
   * Randomly edited views of the image added to each step (views.ts): 0 is the paper's step; k > 0 makes the
   * change robust to colour edits, blur and crops at the cost of k more extractor passes per step.
   */
  views: number;
  /** Seed of delta's random initialisation (1e-6 * N(0,1)), for reproducible results. */
  seed: number;
}

/** The paper's default: Adam, lr 1, 10 steps, alpha 3, lambda_i 0.01. */
export const DEFAULT_SETTINGS: Readonly<ActivationSettings> = Object.freeze({
  steps: 10,
  lr: 1,
  alpha: 3,
  lambdaF: 1,
  lambdaI: 0.01,
  maxWorkingSide: 512,
  views: 0,
  seed: 0,
});

/** The paper's fast variant: one step at lr 10 (about 10x cheaper, slightly lower recall). */
export const FAST_SETTINGS: Readonly<ActivationSettings> = Object.freeze({ ...DEFAULT_SETTINGS, steps: 1, lr: 10 });

/**
 * Beyond the paper: three randomly edited views per step (views.ts) at lr 0.17. On the corpus (extractor
 * 2.0.0, IVF32,PQ8x8) it doubles the paper preset's recall gain (+0.04 -> +0.08 average R@1) and meets the
 * image-quality targets (PSNR 44.4 dB, SSIM 0.982; at lr 0.2 SSIM was 0.9796, just under 0.98), at about
 * 2.5-4x the cost (docs/results.md).
 */
export const ROBUST_SETTINGS: Readonly<ActivationSettings> = Object.freeze({ ...DEFAULT_SETTINGS, views: 3, lr: 0.17 });

export const PRESETS = { paper: DEFAULT_SETTINGS, fast: FAST_SETTINGS, robust: ROBUST_SETTINGS } as const;
export type PresetName = keyof typeof PRESETS;

const LIMITS: Record<keyof ActivationSettings, [number, number, boolean]> = {
  // name: [min, max, integer]
  steps: [1, 200, true],
  lr: [1e-4, 100, false],
  alpha: [0, 20, false],
  lambdaF: [0, 1e3, false],
  lambdaI: [0, 1e3, false],
  maxWorkingSide: [32, 4096, true],
  views: [0, 15, true],
  seed: [0, 2 ** 32 - 1, true],
};

/** Fills defaults and checks ranges; a bad value fails with INVALID_ARGUMENT naming the setting. */
export function resolveSettings(partial: Partial<ActivationSettings> = {}): ActivationSettings {
  const s: ActivationSettings = { ...DEFAULT_SETTINGS };
  for (const [key, value] of Object.entries(partial) as [keyof ActivationSettings, number | undefined][]) {
    if (value === undefined) continue;
    if (!(key in LIMITS)) throw new FindableError('INVALID_ARGUMENT', `Unknown activation setting "${key}".`);
    const [min, max, integer] = LIMITS[key];
    if (
      typeof value !== 'number' ||
      !Number.isFinite(value) ||
      value < min ||
      value > max ||
      (integer && !Number.isInteger(value))
    ) {
      throw new FindableError(
        'INVALID_ARGUMENT',
        `Setting "${key}" must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max} (got ${String(value)}).`,
        { setting: key, value, min, max },
      );
    }
    s[key] = value;
  }
  return s;
}

/** The command-line spelling of the settings (findable activate / eval). */
export interface SettingsOptions {
  preset: PresetName;
  steps?: number;
  lr?: number;
  alpha?: number;
  lambdaI?: number;
  maxSide?: number;
  views?: number;
  seed?: number;
}

/** A preset with the options that were given laid over it, validated. */
export function settingsFromOptions(o: SettingsOptions): ActivationSettings {
  const given = {
    steps: o.steps,
    lr: o.lr,
    alpha: o.alpha,
    lambdaI: o.lambdaI,
    maxWorkingSide: o.maxSide,
    views: o.views,
    seed: o.seed,
  };
  return resolveSettings({
    ...PRESETS[o.preset],
    ...Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)),
  });
}
