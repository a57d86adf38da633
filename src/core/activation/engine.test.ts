import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { computeJnd } from '../image/jnd';
import type { RgbImage } from '../image/types';
import { indexFactory } from '../index/factory';
import { Mt19937 } from '../index/rng';
import type { VectorIndex } from '../index/types';
import { type ActivationProgress, activatePhoto, workingSize } from './engine';
import { extractFeatures } from './extract';
import type { ActivationRuntime } from './runtime';
import { resolveSettings } from './settings';
import { loadTestRuntime } from './test-runtime.node';

const _fixtures = join(import.meta.dirname, '__fixtures__');
let rt: ActivationRuntime;
let index: VectorIndex;

/** A smooth synthetic photo with some texture, so the JND map is not flat. */
function photo(width: number, height: number, seed = 1): RgbImage {
  const rng = new Mt19937(seed);
  const data = new Uint8Array(width * height * 3);
  const fx = 1 + rng.randInt(5);
  const fy = 1 + rng.randInt(5);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      data[i] = 128 + 100 * Math.sin(((fx * x) / width) * 6.28);
      data[i + 1] = 128 + 90 * Math.cos(((fy * y) / height) * 6.28);
      data[i + 2] = (x * 7 + y * 3 + rng.randInt(40)) % 256;
    }
  }
  return { width, height, data };
}

beforeAll(async () => {
  rt = await loadTestRuntime();
  // An IVF-PQ trained on the features of synthetic photos (few points per code: q(x) != x).
  const train = Array.from({ length: 400 }, (_, i) => photo(24, 18, 100 + i));
  const x = await extractFeatures(rt, train);
  index = indexFactory(12, 'IVF8,PQ3x8');
  index.train(x, train.length);
});

describe('activatePhoto', () => {
  it('with edited views, pulls edited copies too: reproducible, and different from the plain step', async () => {
    const img = photo(40, 30, 3);
    const plain = await activatePhoto(rt, img, index, { steps: 5 });
    const a = await activatePhoto(rt, img, index, { steps: 5, views: 3 });
    const b = await activatePhoto(rt, img, index, { steps: 5, views: 3 });
    // A runtime without step graphs for views refuses clearly rather than running the wrong graph.
    const { stepSessionFor: _, ...oneView } = rt;
    await expect(activatePhoto(oneView, img, index, { views: 1 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(Array.from(a.image.data)).toEqual(Array.from(b.image.data));
    expect(Array.from(a.image.data)).not.toEqual(Array.from(plain.image.data));
    expect(a.gain.cosineAfter).toBeGreaterThan(a.gain.cosineBefore);
  });

  it('pulls the feature of the final 8-bit image towards q(x_o), invisibly', async () => {
    const img = photo(40, 30);
    const events: ActivationProgress[] = [];
    const r = await activatePhoto(rt, img, index, { steps: 10 }, { onProgress: (p) => events.push(p) });
    expect([r.image.width, r.image.height]).toEqual([40, 30]);
    expect(r.code.length).toBe(index.saCodeSize);
    expect(r.steps).toHaveLength(10);
    expect(r.gain.after).toBeLessThan(r.gain.before);
    expect(r.gain.cosineAfter).toBeGreaterThan(r.gain.cosineBefore);
    expect(r.steps[9].cosine).toBeGreaterThan(r.steps[0].cosine);
    expect(r.psnr).toBeGreaterThan(30);
    expect(r.ssim).toBeGreaterThan(0.9);
    // method.md: per pixel |dR| <= 0.165 H, |dG| <= 0.082 H, |dB| <= 0.426 H (0..255 units, alpha 3),
    // plus half a level of rounding.
    const h255 = computeJnd(img).data.map((v) => v * 255);
    const bound = [0.165, 0.082, 0.426];
    for (let i = 0; i < img.data.length; i++) {
      const d = Math.abs(r.image.data[i] - img.data[i]);
      expect(d).toBeLessThanOrEqual(bound[i % 3] * h255[Math.floor(i / 3)] + 0.5 + 1e-3);
    }
    expect(r.linf).toBeGreaterThan(0);
    // Progress: stages in order, one optimise event per step with k/N.
    expect(events.map((e) => e.stage).filter((s, i, a) => a.indexOf(s) === i)).toEqual([
      'extract',
      'prepare',
      'optimise',
      'compose',
      'measure',
    ]);
    expect(events.filter((e) => e.stage === 'optimise').map((e) => `${e.step}/${e.steps}`)).toEqual(
      Array.from({ length: 10 }, (_, i) => `${i + 1}/10`),
    );
  });

  it('is reproducible for a seed', async () => {
    const img = photo(32, 20, 7);
    const a = await activatePhoto(rt, img, index, { steps: 3, seed: 5 });
    const b = await activatePhoto(rt, img, index, { steps: 3, seed: 5 });
    expect(Buffer.from(a.image.data).equals(Buffer.from(b.image.data))).toBe(true);
  });

  it('optimises large photos at the bounded working resolution and carries the change to full size', async () => {
    const img = photo(300, 200, 3);
    const r = await activatePhoto(rt, img, index, { steps: 5, maxWorkingSide: 64 });
    expect(r.working).toEqual({ width: 64, height: 43 });
    expect([r.image.width, r.image.height]).toEqual([300, 200]);
    expect(r.gain.after).toBeLessThan(r.gain.before);
    expect(r.psnr).toBeGreaterThan(30);
  });

  it('stops with ABORTED when cancelled, and rejects bad settings and mismatched indexes', async () => {
    const controller = new AbortController();
    const run = activatePhoto(
      rt,
      photo(40, 30),
      index,
      { steps: 50 },
      {
        signal: controller.signal,
        onProgress: (p) => p.step === 2 && controller.abort(),
      },
    );
    await expect(run).rejects.toMatchObject({ code: 'ABORTED' });
    await expect(activatePhoto(rt, photo(8, 8), index, { steps: 0 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(activatePhoto(rt, photo(8, 8), indexFactory(16, 'Flat'))).rejects.toMatchObject({
      code: 'SHAPE_MISMATCH',
    });
  });
});

describe('settings and working size', () => {
  it('defaults to the paper and checks ranges', () => {
    expect(resolveSettings()).toMatchObject({ steps: 10, lr: 1, alpha: 3, lambdaI: 0.01, lambdaF: 1 });
    expect(() => resolveSettings({ lr: Number.NaN })).toThrow(/lr/);
    expect(() => resolveSettings({ steps: 2.5 })).toThrow(/integer/);
  });
  it('never upscales and keeps the aspect ratio', () => {
    expect(workingSize(800, 600, 1024)).toEqual({ width: 800, height: 600 });
    expect(workingSize(8000, 6000, 1024)).toEqual({ width: 1024, height: 768 });
    expect(workingSize(600, 8000, 1024)).toEqual({ width: 77, height: 1024 });
  });
});
