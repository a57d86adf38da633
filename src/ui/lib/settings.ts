/**
 * User settings, persisted in localStorage under one key as versioned JSON.
 *
 * Schema history (migrate() upgrades any older document step by step; unknown or broken input falls back
 * to the defaults field by field, never throws):
 *   1  {schema: 1, preset, strength, steps, format, jpegQuality}
 *   2  + keepMetadata, backend ('auto' | 'webgpu' | 'wasm'), theme ('system' | 'light' | 'dark'),
 *        registerResults; strength renamed alpha
 */
import type { ActivationSettings } from '../../core/activation/settings';
import { DEFAULT_SETTINGS, PRESETS } from '../../core/activation/settings';

export const SETTINGS_KEY = 'findable.settings';
export const SETTINGS_SCHEMA = 2;

export type Preset = keyof typeof PRESETS;

export interface UiSettings {
  schema: typeof SETTINGS_SCHEMA;
  preset: Preset;
  /** Perturbation strength alpha (the paper uses 3). */
  alpha: number;
  /** Adam steps (the preset's by default). */
  steps: number;
  format: 'png' | 'jpeg';
  /** JPEG quality in percent. */
  jpegQuality: number;
  /** Copy the original's EXIF / sRGB ICC profile / XMP into the result (off: the result carries none). */
  keepMetadata: boolean;
  backend: 'auto' | 'webgpu' | 'wasm';
  theme: 'system' | 'light' | 'dark';
  /** Register each activated photo's code with the server (needs a token). */
  registerResults: boolean;
}

export const DEFAULT_UI_SETTINGS: Readonly<UiSettings> = Object.freeze({
  schema: SETTINGS_SCHEMA,
  preset: 'paper',
  alpha: DEFAULT_SETTINGS.alpha,
  steps: DEFAULT_SETTINGS.steps,
  format: 'png',
  jpegQuality: 95,
  keepMetadata: false,
  backend: 'auto',
  theme: 'system',
  registerResults: false,
});

export const LIMITS = { alpha: [0.5, 10], steps: [1, 50], jpegQuality: [50, 100] } as const;

function num(v: unknown, [min, max]: readonly [number, number], fallback: number, integer = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) return fallback;
  const clamped = Math.min(max, Math.max(min, v));
  return integer ? Math.round(clamped) : clamped;
}

function oneOf<T extends string>(v: unknown, options: readonly T[], fallback: T): T {
  return options.includes(v as T) ? (v as T) : fallback;
}

type Doc = Record<string, unknown>;

/** Schema 1 -> 2: `strength` became `alpha`; new fields take their defaults. */
function v1to2(d: Doc): Doc {
  const { strength, ...rest } = d;
  return { ...rest, alpha: strength, schema: 2 };
}

const MIGRATIONS: Record<number, (d: Doc) => Doc> = { 1: v1to2 };

/** Any stored value -> valid current settings. */
export function migrateSettings(raw: unknown): UiSettings {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ...DEFAULT_UI_SETTINGS };
  let doc = raw as Doc;
  let schema = typeof doc.schema === 'number' && Number.isInteger(doc.schema) ? doc.schema : SETTINGS_SCHEMA;
  // A newer app wrote this: read what we can understand, field by field.
  while (schema < SETTINGS_SCHEMA && MIGRATIONS[schema]) {
    doc = MIGRATIONS[schema](doc);
    schema++;
  }
  const d = DEFAULT_UI_SETTINGS;
  const preset = oneOf(doc.preset, Object.keys(PRESETS) as Preset[], d.preset);
  return {
    schema: SETTINGS_SCHEMA,
    preset,
    alpha: num(doc.alpha, LIMITS.alpha, d.alpha),
    steps: num(doc.steps, LIMITS.steps, presetSteps(preset), true),
    format: oneOf(doc.format, ['png', 'jpeg'] as const, d.format),
    jpegQuality: num(doc.jpegQuality, LIMITS.jpegQuality, d.jpegQuality, true),
    keepMetadata: typeof doc.keepMetadata === 'boolean' ? doc.keepMetadata : d.keepMetadata,
    backend: oneOf(doc.backend, ['auto', 'webgpu', 'wasm'] as const, d.backend),
    theme: oneOf(doc.theme, ['system', 'light', 'dark'] as const, d.theme),
    registerResults: typeof doc.registerResults === 'boolean' ? doc.registerResults : d.registerResults,
  };
}

export function presetSteps(preset: Preset): number {
  return PRESETS[preset].steps;
}

/** Choosing a preset resets steps to the preset's. */
export function withPreset(s: UiSettings, preset: Preset): UiSettings {
  return { ...s, preset, steps: presetSteps(preset) };
}

/** What the activation engine gets (validated again there by resolveSettings). */
export function toActivationSettings(s: UiSettings): Partial<ActivationSettings> {
  const base = PRESETS[s.preset];
  return { lr: base.lr, views: base.views, steps: s.steps, alpha: s.alpha };
}

export function loadSettings(storage: Pick<Storage, 'getItem'> | null): UiSettings {
  try {
    const text = storage?.getItem(SETTINGS_KEY);
    return migrateSettings(text ? JSON.parse(text) : null);
  } catch {
    return { ...DEFAULT_UI_SETTINGS };
  }
}

export function saveSettings(storage: Pick<Storage, 'setItem'> | null, s: UiSettings): void {
  try {
    storage?.setItem(SETTINGS_KEY, JSON.stringify(s));
  } catch {
    // Private mode or full storage: settings simply do not persist.
  }
}
