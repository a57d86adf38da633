/**
 * Host-to-GPU traffic of one activation step in the app's worker (WebGPU, SwiftShader here, the toy test
 * model): the step graph's constant inputs (x_orig, jnd, resize matrices, target, scalars) are uploaded
 * once per photo (ActivationRuntime.resident), so a step uploads only what changes (the step number) plus
 * ORT's own kernel uniforms, far less than x_orig alone.
 *
 * How it is measured: WebGPU calls in the worker are wrapped (Worker.evaluate). Data reaches the GPU by
 * three roads: queue.writeBuffer (ORT's uniforms), a copy out of a MAP_WRITE staging buffer (ORT's input
 * uploads), and buffers mapped at creation with STORAGE usage (the resident inputs). Two photos with the
 * same pixels, 1 and 3 steps: the difference of the counters is two steps' worth.
 */
import { expect, type Page, test, type Worker } from '@playwright/test';
import sharp from 'sharp';
import { CORPUS, dropFiles, routeTestModels, row, type TestFile, waitForEngine } from './ui-helpers';

test.use({ serviceWorkers: 'block' });
test.beforeEach(async ({ context }) => routeTestModels(context));

const W = 64;
const H = 48;

interface Counters {
  writeBuffer: number;
  staged: number;
  resident: number;
  residentBuffers: number;
  destroyed: number;
}

async function tiny(name: string): Promise<TestFile> {
  const bytes = await sharp(`${CORPUS}/enl-green-maple.jpg`).resize(W, H, { fit: 'cover' }).png().toBuffer();
  return { name, type: 'image/png', bytes };
}

async function engineWorker(page: Page): Promise<Worker> {
  await expect.poll(() => page.workers().some((w) => /engine\.worker/.test(w.url()))).toBe(true);
  return page.workers().find((w) => /engine\.worker/.test(w.url())) as Worker;
}

/** Wraps the worker's WebGPU entry points with byte counters (kept on globalThis.__uploads). */
async function instrument(worker: Worker): Promise<void> {
  await worker.evaluate(() => {
    const g = globalThis as unknown as Record<string, unknown> & {
      GPUQueue: { prototype: Record<string, unknown> };
      GPUDevice: { prototype: Record<string, unknown> };
      GPUCommandEncoder: { prototype: Record<string, unknown> };
      GPUBuffer: { prototype: Record<string, unknown> };
    };
    const c = { writeBuffer: 0, staged: 0, resident: 0, residentBuffers: 0, destroyed: 0 };
    g.__uploads = c;
    const MAP_WRITE = 0x02;
    const STORAGE = 0x80;
    const residentSet = new WeakSet<object>();
    type Fn = (...args: unknown[]) => unknown;
    const wrap = (proto: Record<string, unknown>, name: string, before: (self: unknown, args: unknown[]) => void) => {
      const original = proto[name] as Fn;
      proto[name] = function (this: unknown, ...args: unknown[]) {
        before(this, args);
        return original.apply(this, args);
      };
    };
    wrap(g.GPUQueue.prototype, 'writeBuffer', (_self, args) => {
      const data = args[2] as ArrayBufferView | ArrayBuffer;
      const size = args[4] as number | undefined;
      const bytes = 'byteLength' in data ? data.byteLength : 0;
      c.writeBuffer += size === undefined ? bytes - ((args[3] as number) ?? 0) : size;
    });
    wrap(g.GPUCommandEncoder.prototype, 'copyBufferToBuffer', (_self, args) => {
      const src = args[0] as { usage: number };
      // (src, srcOffset, dst, dstOffset, size) or (src, dst, size?)
      const size = (typeof args[1] === 'number' ? args[4] : args[2]) as number | undefined;
      if (src.usage & MAP_WRITE) c.staged += size ?? 0;
    });
    const createBuffer = g.GPUDevice.prototype.createBuffer as Fn;
    g.GPUDevice.prototype.createBuffer = function (
      this: unknown,
      d: { size: number; usage: number; mappedAtCreation?: boolean },
    ) {
      const buffer = createBuffer.call(this, d) as object;
      if (d.mappedAtCreation && d.usage & STORAGE && !(d.usage & MAP_WRITE)) {
        c.resident += d.size;
        c.residentBuffers++;
        residentSet.add(buffer);
      }
      return buffer;
    };
    wrap(g.GPUBuffer.prototype, 'destroy', (self) => {
      if (residentSet.has(self as object)) c.destroyed++;
    });
  });
}

async function counters(worker: Worker): Promise<Counters> {
  return worker.evaluate(() => ({ ...(globalThis as unknown as { __uploads: Counters }).__uploads }));
}

async function activate(page: Page, photo: TestFile, steps: number): Promise<void> {
  await page.getByTestId('steps').fill(String(steps));
  await dropFiles(page, [photo]);
  await expect(row(page, photo.name)).toHaveAttribute('data-status', 'done', { timeout: 100_000 });
  await expect(page.getByTestId('timing')).toContainText('on webgpu');
}

test('a step uploads only what changes: the constant inputs go to the GPU once per photo', async ({ page }) => {
  test.setTimeout(180_000);
  await page.goto('/?backend=webgpu');
  await expect(page.getByTestId('backend')).toHaveAttribute('data-backend', 'webgpu');
  await waitForEngine(page, 100_000);
  await page.locator('summary', { hasText: 'Settings' }).click();
  const worker = await engineWorker(page);
  await instrument(worker);

  const c0 = await counters(worker);
  await activate(page, await tiny('one-step.png'), 1);
  const c1 = await counters(worker);
  await activate(page, await tiny('three-steps.png'), 3);
  const c3 = await counters(worker);

  // The constant inputs of a 64 x 48 photo (bytes): x_orig 3HW, jnd HW, resize rows 16H and cols 16W,
  // target 12 (toy model), colour/mean 3x3 each, weight, 4 scalars; all float32.
  const constantBytes = 4 * (3 * W * H + W * H + 16 * H + 16 * W + 12 + 9 + 9 + 1 + 4);
  const perPhoto = { resident: c1.resident - c0.resident, buffers: c1.residentBuffers - c0.residentBuffers };
  const perStep = {
    staged: (c3.staged - c1.staged - (c1.staged - c0.staged)) / 2,
    writeBuffer: (c3.writeBuffer - c1.writeBuffer - (c1.writeBuffer - c0.writeBuffer)) / 2,
  };
  console.log(JSON.stringify({ constantBytes, perPhoto, perStep, c0, c1, c3 }));

  // Once per photo: every constant input became one resident buffer, and all were destroyed after it.
  expect(perPhoto.buffers).toBe(12);
  expect(perPhoto.resident).toBeGreaterThanOrEqual(constantBytes);
  expect(c3.residentBuffers - c1.residentBuffers).toBe(12); // the 3-step photo too: not 12 per step
  expect(c3.destroyed).toBe(c3.residentBuffers);
  // Per step: the data uploaded is a small fraction of x_orig alone (3 H W floats = 36 kB).
  expect(perStep.staged).toBeLessThan(1024);
});
