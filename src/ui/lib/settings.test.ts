import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, FAST_SETTINGS } from '../../core/activation/settings';
import {
  DEFAULT_UI_SETTINGS,
  loadSettings,
  migrateSettings,
  SETTINGS_KEY,
  SETTINGS_SCHEMA,
  saveSettings,
  toActivationSettings,
  withPreset,
} from './settings';

function memoryStorage() {
  const m = new Map<string, string>();
  return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v), m };
}

describe('settings', () => {
  it('defaults follow the paper (10 steps, lr 1, alpha 3), PNG', () => {
    expect(DEFAULT_UI_SETTINGS).toMatchObject({ preset: 'paper', steps: 10, alpha: 3, format: 'png' });
    expect(toActivationSettings(DEFAULT_UI_SETTINGS)).toEqual({
      lr: DEFAULT_SETTINGS.lr,
      views: 0,
      steps: DEFAULT_SETTINGS.steps,
      alpha: DEFAULT_SETTINGS.alpha,
    });
  });

  it('the fast preset takes its steps and lr', () => {
    const fast = withPreset(DEFAULT_UI_SETTINGS, 'fast');
    expect(toActivationSettings(fast)).toEqual({
      lr: FAST_SETTINGS.lr,
      views: 0,
      steps: FAST_SETTINGS.steps,
      alpha: 3,
    });
    expect(withPreset(fast, 'paper').steps).toBe(10);
  });

  it('the robust preset adds three edited views per step at lr 0.17, and survives storage', () => {
    const robust = withPreset(DEFAULT_UI_SETTINGS, 'robust');
    expect(toActivationSettings(robust)).toEqual({ lr: 0.17, views: 3, steps: 10, alpha: 3 });
    expect(migrateSettings(JSON.parse(JSON.stringify(robust))).preset).toBe('robust');
    expect(migrateSettings({ ...robust, preset: 'turbo' }).preset).toBe('paper');
  });

  it('round-trips through storage', () => {
    const storage = memoryStorage();
    const s = {
      ...DEFAULT_UI_SETTINGS,
      alpha: 4.5,
      format: 'jpeg' as const,
      jpegQuality: 88,
      theme: 'dark' as const,
      keepMetadata: true,
    };
    saveSettings(storage, s);
    expect(JSON.parse(storage.m.get(SETTINGS_KEY)!).schema).toBe(SETTINGS_SCHEMA);
    expect(loadSettings(storage)).toEqual(s);
  });

  it('migrates schema 1 (strength -> alpha) and fills new fields', () => {
    const v1 = { schema: 1, preset: 'fast', strength: 2, steps: 1, format: 'jpeg', jpegQuality: 90 };
    expect(migrateSettings(v1)).toEqual({
      ...DEFAULT_UI_SETTINGS,
      preset: 'fast',
      alpha: 2,
      steps: 1,
      format: 'jpeg',
      jpegQuality: 90,
    });
  });

  it('repairs broken values field by field and never throws', () => {
    expect(migrateSettings(null)).toEqual(DEFAULT_UI_SETTINGS);
    expect(migrateSettings('nonsense')).toEqual(DEFAULT_UI_SETTINGS);
    const s = migrateSettings({ schema: 2, alpha: 1e9, steps: 2.6, format: 'gif', backend: 'cuda', theme: 7 });
    expect(s).toMatchObject({ alpha: 10, steps: 3, format: 'png', backend: 'auto', theme: 'system' });
    expect(loadSettings({ getItem: () => '{not json' })).toEqual(DEFAULT_UI_SETTINGS);
    expect(
      loadSettings({
        getItem: () => {
          throw new Error('denied');
        },
      }),
    ).toEqual(DEFAULT_UI_SETTINGS);
  });

  it('reads a newer schema as far as it understands it', () => {
    expect(migrateSettings({ schema: 99, alpha: 5, future: true })).toMatchObject({ schema: 2, alpha: 5 });
  });
});
