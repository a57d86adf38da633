import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ActivationRuntime } from '../activation/runtime';
import { buildStepGraph } from '../activation/step-graph';
import { loadModel, saveModel } from '../onnx/proto-io';
import { FeatureCache } from './feature-cache.node';
import { photoTiles, reportMarkdown, runEvaluation } from './protocol.node';

const corpus = join(import.meta.dirname, '..', '..', '..', '..', 'shared', 'corpus');
let rt: ActivationRuntime;

beforeAll(async () => {
  // The small test CNN stands in for the shipped extractor: this checks the protocol, not recall.
  const bytes = readFileSync(join(import.meta.dirname, '..', 'activation', '__fixtures__', 'step_cnn.onnx'));
  const options = { executionProviders: ['cpu'], intraOpNumThreads: 1 };
  rt = {
    ort,
    featureSession: await ort.InferenceSession.create(bytes, options),
    stepSession: await ort.InferenceSession.create(saveModel(buildStepGraph(loadModel(bytes))), options),
    size: 16,
    dim: 12,
  };
});

describe('evaluation protocol', () => {
  it('cuts a photo into a 2 x 2 grid of tiles with the asked long side', async () => {
    const tiles = await photoTiles(join(corpus, 'photos', 'enl-peaks.jpg'), 64);
    expect(tiles).toHaveLength(4);
    expect(Math.max(tiles[0].image.width, tiles[0].image.height)).toBe(64);
    expect(new Set(tiles.map((t) => t.index))).toEqual(new Set([0, 1, 2, 3]));
  });

  it('runs end to end and reports every field of the documented report', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'findable-cache-'));
    const log: string[] = [];
    const options = {
      refsDir: join(corpus, 'photos'),
      distractorsDir: join(corpus, 'distractors', 'd000'),
      factory: 'IVF4,Flat',
      nprobe: 1,
      seed: 3,
      settings: { steps: 2 },
      tileSide: 48,
      maxPhotos: 6,
      maxDistractors: 60,
      transforms: ['identity', 'jpeg50', 'crop0.5'] as const,
      cache: new FeatureCache(cacheDir, 'a'.repeat(64), 12),
      log: (m: string) => log.push(m),
    };
    const { report, diagnostics } = await runEvaluation(rt, options);
    expect(report.n_activated).toBe(16); // 4 of 6 photos for evaluation, 4 tiles each
    expect(report.n_database).toBe(60 + 16);
    expect(report.transforms.map((t) => t.name)).toEqual(['identity', 'jpeg50', 'crop0.5']);
    for (const t of report.transforms) {
      for (const v of [t.passive_r1, t.active_r1]) expect(v >= 0 && v <= 1).toBe(true);
    }
    // An unmodified reference is found exactly: its own stored vector is at distance 0.
    expect(report.transforms[0].passive_r1).toBe(1);
    expect(report.muap.passive).toBeGreaterThan(0);
    expect(report.quality.psnr_mean).toBeGreaterThan(30);
    expect(report.timing.activate_ms_per_image).toBeGreaterThan(0);
    expect(reportMarkdown(report, 'test')).toContain('| passive R@1 |');
    // Diagnostics: exact search finds every unmodified reference; an IVF query probes its own list.
    expect(diagnostics.transforms.map((t) => t.name)).toEqual(['identity', 'jpeg50', 'crop0.5']);
    expect(diagnostics.transforms[0].exact_passive_r1).toBe(1);
    expect(diagnostics.transforms[0].list_hit_passive).toBe(1);
    // The identity keeps the whole activation change (same images, same features): exactly 1 up to rounding.
    expect(diagnostics.transforms[0].transfer).toBeCloseTo(1, 5);
    for (const t of diagnostics.transforms) {
      for (const v of [t.exact_passive_r1, t.exact_active_r1, t.list_hit_passive ?? -1, t.list_hit_active ?? -1]) {
        expect(v >= 0 && v <= 1).toBe(true);
      }
    }
    const md = reportMarkdown(report, 'test', diagnostics);
    expect(md).toContain('| passive R@1, exact search | 1.00 |');
    expect(md).toContain('| passive: own list probed | 1.00 |');
    // The second run reads the distractor features from the cache.
    const { report: again } = await runEvaluation(rt, {
      ...options,
      cache: new FeatureCache(cacheDir, 'a'.repeat(64), 12),
      log: (m) => log.push(m),
    });
    expect(log.some((l) => l.startsWith('features: 60 cached'))).toBe(true);
    expect(again.transforms).toEqual(report.transforms);
  });

  it('refuses an IVF-Flat target pull for an index that is not IVF-Flat', async () => {
    const run = runEvaluation(rt, {
      refsDir: join(corpus, 'photos'),
      distractorsDir: join(corpus, 'distractors', 'd000'),
      factory: 'IVF2,PQ4',
      nprobe: 1,
      seed: 0,
      settings: { steps: 1 },
      tileSide: 32,
      maxPhotos: 3,
      maxDistractors: 20,
      ivfFlatTargetPull: 0.5,
      transforms: ['identity'],
    });
    await expect(run).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: /IVF<n>,Flat/ });
  });
});

describe('FeatureCache', () => {
  it('finds a file under its relative and its absolute name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'findable-cache-'));
    const cache = new FeatureCache(dir, 'b'.repeat(64), 2);
    const file = join(corpus, 'photos', 'enl-peaks.jpg');
    cache.set(cache.key(file), Float32Array.of(1, 2));
    const relativeName = join(relative(process.cwd(), corpus), 'photos', 'enl-peaks.jpg');
    expect(Array.from(cache.get(cache.key(relativeName)) ?? [])).toEqual([1, 2]);
  });
});
