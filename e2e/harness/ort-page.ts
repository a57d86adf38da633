/**
 * A bare page that can import onnxruntime-web, served with page.route from node_modules (no app server):
 * `${ORT_ORIGIN}/ort.html`, with the package's dist files under `${ORT_ORIGIN}/ort/`.
 */
import { readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from '@playwright/test';

/** localhost, unlike harness.local, is a secure context, which WebGPU requires. Nothing listens there:
 * page.route answers every request. */
export const ORT_ORIGIN = 'http://localhost:39871';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const ortDist = join(root, 'node_modules', 'onnxruntime-web', 'dist');

const TYPES: Record<string, string> = { mjs: 'text/javascript', js: 'text/javascript', wasm: 'application/wasm' };

export async function openOrtPage(page: Page): Promise<string[]> {
  const console: string[] = [];
  page.on('console', (m) => console.push(m.text()));
  page.on('pageerror', (e) => console.push(`pageerror: ${e.message}`));
  await page.route(`${ORT_ORIGIN}/**`, async (route) => {
    const { pathname } = new URL(route.request().url());
    if (pathname === '/ort.html') {
      return route.fulfill({
        contentType: 'text/html',
        body: '<!doctype html><meta charset="utf-8"><title>ort</title>',
      });
    }
    if (pathname.startsWith('/ort/')) {
      const name = basename(pathname);
      try {
        const body = await readFile(join(ortDist, name));
        return route.fulfill({ contentType: TYPES[name.split('.').pop() ?? ''] ?? 'application/octet-stream', body });
      } catch {
        return route.fulfill({ status: 404, body: 'not found' });
      }
    }
    return route.fulfill({ status: 404, body: 'not found' });
  });
  await page.goto(`${ORT_ORIGIN}/ort.html`);
  return console;
}
