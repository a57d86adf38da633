/**
 * Helpers for the app's end-to-end specs (e2e/ui-*.spec.ts): small test photos made from the shared
 * corpus with sharp, dropping files on the window, and waiting for the engine.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, expect, type Page } from '@playwright/test';
import sharp from 'sharp';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const CORPUS = process.env.FINDABLE_CORPUS ?? resolve(root, '../shared/corpus/photos');

export interface TestFile {
  name: string;
  type: string;
  bytes: Buffer;
}

/** A corpus photo resized so its long side is `side` pixels, as JPEG. */
export async function smallPhoto(file: string, side = 160, name = file): Promise<TestFile> {
  const bytes = await sharp(join(CORPUS, file))
    .resize({ width: side, height: side, fit: 'inside' })
    .jpeg({ quality: 92 })
    .toBuffer();
  return { name, type: 'image/jpeg', bytes };
}

/** A JPEG cut in half: the decoder's pre-check reports it as corrupt. */
export function corrupt(photo: TestFile, name = 'broken.jpg'): TestFile {
  return { name, type: 'image/jpeg', bytes: photo.bytes.subarray(0, Math.floor(photo.bytes.length / 2)) };
}

export function realModelsBuilt(): boolean {
  return existsSync(join(root, 'dist/models/extractor.json'));
}

/** Drops files on the page as a user would (a drop event with a DataTransfer on the document). */
export async function dropFiles(page: Page, files: TestFile[]): Promise<void> {
  const payload = files.map((f) => ({ name: f.name, type: f.type, b64: f.bytes.toString('base64') }));
  const dataTransfer = await page.evaluateHandle((items) => {
    const dt = new DataTransfer();
    for (const f of items) {
      const bytes = Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0));
      dt.items.add(new File([bytes], f.name, { type: f.type }));
    }
    return dt;
  }, payload);
  await page.dispatchEvent('body', 'dragenter', { dataTransfer });
  await page.dispatchEvent('body', 'drop', { dataTransfer });
}

export async function waitForEngine(page: Page, timeout = 60_000): Promise<void> {
  await expect(page.getByTestId('engine-status')).toHaveAttribute('data-state', 'ready', { timeout });
}

export function row(page: Page, name: string) {
  return page.locator(`[data-testid="queue-row"][data-name="${name}"]`);
}

export function readFileBytes(path: string): Buffer {
  return readFileSync(path);
}

/**
 * Serves the TEST model set (the core's 16x16 toy CNN and its codebook, e2e/__fixtures__) in place of the
 * real extractor and codebook, for the WebGPU specs: SwiftShader runs the real MobileNetV2 about 100x
 * slower than wasm (about 100 s for 2 steps on a 64x48 photo here). Needs serviceWorkers: 'block' so that
 * every request of the page and its worker reaches the route.
 */
export async function routeTestModels(context: BrowserContext): Promise<void> {
  const manifest = readFileSync(join(root, 'e2e/__fixtures__/test-extractor.json'));
  const model = readFileSync(join(root, 'src/core/activation/__fixtures__/step_cnn.onnx'));
  const codebook = readFileSync(join(root, 'e2e/__fixtures__/test-codebook.json'));
  await context.route('**/models/extractor.json', (r) =>
    r.fulfill({ contentType: 'application/json', body: manifest }),
  );
  await context.route('**/models/extractor.onnx*', (r) =>
    r.fulfill({ contentType: 'application/octet-stream', body: model }),
  );
  await context.route(/\/(api\/codebook|codebook\.json)$/, (r) =>
    r.fulfill({ contentType: 'application/json', body: codebook }),
  );
}
