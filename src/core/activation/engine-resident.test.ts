import { join } from 'node:path';
import type { Tensor } from 'onnxruntime-common';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RgbImage } from '../image/types';
import { type ActivationQuantizer, activatePhoto } from './engine';
import type { ActivationRuntime } from './runtime';
import { loadTestRuntime } from './test-runtime.node';

const _fixtures = join(import.meta.dirname, '__fixtures__');
let rt: ActivationRuntime;

/** A fixed target direction stands in for an index (this test is about tensors, not recall). */
const quantizer: ActivationQuantizer = {
  d: 12,
  encode: () => new Uint8Array(4),
  activationTarget: () => Float32Array.from({ length: 12 }, (_, i) => Math.cos(i)),
};

function photo(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37 + ((i / 3) | 0) * 11) % 256;
  return { width, height, data };
}

/** A resident hook that copies each tensor and records what it made and what was disposed. */
function recordingHook(failAt = Number.POSITIVE_INFINITY) {
  const made: { dims: readonly number[]; disposed: boolean }[] = [];
  const resident = (t: Tensor): Tensor => {
    if (made.length === failAt) throw new Error('device out of memory (test)');
    const copy = new ort.Tensor('float32', Float32Array.from(t.data as Float32Array), t.dims);
    const entry = { dims: t.dims, disposed: false };
    made.push(entry);
    const dispose = copy.dispose.bind(copy);
    copy.dispose = () => {
      entry.disposed = true;
      dispose();
    };
    return copy;
  };
  return { made, resident };
}

beforeAll(async () => {
  rt = await loadTestRuntime();
});

describe('activatePhoto with a resident hook', () => {
  it('passes each constant input once per photo, same result, all disposed after the photo', async () => {
    const img = photo(40, 30);
    const plain = await activatePhoto(rt, img, quantizer, { steps: 3 });
    const hook = recordingHook();
    const r = await activatePhoto({ ...rt, resident: hook.resident }, img, quantizer, { steps: 3 });
    expect(Array.from(r.image.data)).toEqual(Array.from(plain.image.data));
    expect(r.steps.map((s) => s.cosine)).toEqual(plain.steps.map((s) => s.cosine));
    // lr, x_orig, jnd, the 5 plain-view inputs, target, alpha, lambda_f, lambda_i: once, not once per step.
    expect(hook.made).toHaveLength(12);
    expect(hook.made.map((m) => m.dims)).toContainEqual([1, 3, 30, 40]);
    expect(hook.made.every((m) => m.disposed)).toBe(true);
  });

  it('disposes them when the photo is cancelled mid-way', async () => {
    const hook = recordingHook();
    const controller = new AbortController();
    const run = activatePhoto(
      { ...rt, resident: hook.resident },
      photo(40, 30),
      quantizer,
      { steps: 5 },
      {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.step === 2) controller.abort();
        },
      },
    );
    await expect(run).rejects.toMatchObject({ code: 'ABORTED' });
    expect(hook.made.length).toBeGreaterThan(0);
    expect(hook.made.every((m) => m.disposed)).toBe(true);
  });

  it('disposes the ones already made when the hook fails part-way', async () => {
    const hook = recordingHook(3);
    await expect(
      activatePhoto({ ...rt, resident: hook.resident }, photo(40, 30), quantizer, { steps: 2 }),
    ).rejects.toThrow(/out of memory/);
    expect(hook.made).toHaveLength(3);
    expect(hook.made.every((m) => m.disposed)).toBe(true);
  });
});
