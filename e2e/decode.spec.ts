/**
 * The browser decoder (src/core/image/decode.browser.ts) in real Chromium, on the page and in a module
 * Web Worker: the same bad inputs as the Node tests give the same typed error codes, and good images
 * decode to the same size and (within JPEG-decoder rounding) the same pixels as the Node decoder.
 * Needs no app server: the harness bundle is built with Vite and served with page.route.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, type Page, test } from '@playwright/test';
import sharp from 'sharp';
import { nodeImageDecoder } from '../src/core/image/decode.node.ts';
import { type BuiltHarness, buildDecodeHarness, DECODE_HARNESS_HTML, HARNESS_ORIGIN } from './harness/build-harness.ts';
import type { DecodeRequest, DecodeResult } from './harness/decode-harness.ts';

const BAD = fileURLToPath(new URL('../src/core/image/__fixtures__/bad/', import.meta.url));
const PHOTO = fileURLToPath(new URL('../../shared/corpus/photos/enl-peaks.jpg', import.meta.url));

const b64 = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
const file = (path: string) => new Uint8Array(readFileSync(path));

let harness: BuiltHarness;

test.beforeAll(async () => {
  harness = await buildDecodeHarness();
});

async function openHarness(page: Page): Promise<void> {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.route(`${HARNESS_ORIGIN}/**`, (route) => {
    const { pathname } = new URL(route.request().url());
    if (pathname === '/decode.html') return route.fulfill({ contentType: 'text/html', body: DECODE_HARNESS_HTML });
    if (pathname === '/decode-harness.js') return route.fulfill({ contentType: 'text/javascript', body: harness.code });
    return route.fulfill({ status: 404, body: 'not found' });
  });
  await page.goto(`${HARNESS_ORIGIN}/decode.html`);
  await page.waitForFunction(() => window.__harnessReady === true, undefined, { timeout: 15_000 });
  expect(errors).toEqual([]);
}

type Where = 'page' | 'worker';

function decodeIn(page: Page, where: Where, bytes: Uint8Array, options: Omit<DecodeRequest, 'input'> = {}) {
  return page.evaluate(
    ([w, input, opts]) => (w === 'worker' ? window.__decodeInWorker(input, opts) : window.__decode(input, opts)),
    [where, b64(bytes), options] as const,
  ) as Promise<DecodeResult>;
}

const badInputs: [string, string, string][] = [
  ['a truncated JPEG (first half of a corpus photo)', 'truncated.jpg', 'IMAGE_CORRUPT'],
  ['a zero-byte file', 'empty.jpg', 'IMAGE_EMPTY'],
  ['a text file renamed .jpg', 'text.jpg', 'IMAGE_UNSUPPORTED'],
  ['a 20000 x 20000 PNG', 'huge-20000x20000.png', 'IMAGE_TOO_LARGE'],
];

for (const where of ['page', 'worker'] as const) {
  test.describe(`browser decoder on the ${where}`, () => {
    test.beforeEach(async ({ page }) => openHarness(page));

    for (const [what, name, code] of badInputs) {
      test(`${what} -> ${code}, as in Node`, async ({ page }) => {
        const bytes = file(`${BAD}${name}`);
        const nodeCode = await nodeImageDecoder.decode(bytes).then(
          () => 'ok',
          (e: { code?: string }) => e.code,
        );
        expect(nodeCode).toBe(code);
        const result = await decodeIn(page, where, bytes);
        expect(result).toMatchObject({ ok: false, code });
      });
    }

    test('a real photo decodes to the same size and nearly the same pixels as in Node', async ({ page }) => {
      const bytes = file(PHOTO);
      const node = await nodeImageDecoder.decode(bytes);
      const sample: [number, number][] = [];
      for (let i = 0; i < 64; i++) sample.push([(i * 797) % node.width, (i * 331) % node.height]);
      const result = await decodeIn(page, where, bytes, { sample });
      if (!result.ok) throw new Error(`decode failed: ${result.code} ${result.message}`);
      expect(result).toMatchObject({
        width: node.width,
        height: node.height,
        format: 'jpeg',
        alphaFlattened: false,
        inWorker: where === 'worker',
      });
      // Whole-image channel means within 1 level; sampled pixels within a few levels (IDCT/upsampling differ).
      const sums = [0, 0, 0];
      for (let i = 0; i < node.data.length; i += 3) for (let c = 0; c < 3; c++) sums[c] += node.data[i + c];
      const nodeMean = sums.map((s) => s / (node.width * node.height));
      for (let c = 0; c < 3; c++) expect(Math.abs(result.mean[c] - nodeMean[c])).toBeLessThan(1);
      let diff = 0;
      sample.forEach(([x, y], k) => {
        const i = (y * node.width + x) * 3;
        for (let c = 0; c < 3; c++) diff += Math.abs(result.pixels[k][c] - node.data[i + c]);
      });
      expect(diff / (sample.length * 3)).toBeLessThan(3);
    });

    test('EXIF orientation 6 is applied as in Node', async ({ page }) => {
      const half = (r: number, b: number) =>
        sharp({ create: { width: 32, height: 32, channels: 3, background: { r, g: 0, b } } })
          .png()
          .toBuffer();
      const stored = await sharp({ create: { width: 64, height: 32, channels: 3, background: '#000' } })
        .composite([
          { input: await half(255, 0), left: 0, top: 0 },
          { input: await half(0, 255), left: 32, top: 0 },
        ])
        .png()
        .toBuffer();
      const jpeg = new Uint8Array(
        await sharp(stored).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer(),
      );
      const result = await decodeIn(page, where, jpeg, {
        sample: [
          [16, 8],
          [16, 56],
        ],
      });
      if (!result.ok) throw new Error(`decode failed: ${result.code}`);
      expect([result.width, result.height, result.originalWidth, result.originalHeight]).toEqual([32, 64, 64, 32]);
      expect(result.hasExif).toBe(true);
      const [top, bottom] = result.pixels;
      expect(top[0]).toBeGreaterThan(200);
      expect(top[2]).toBeLessThan(50);
      expect(bottom[0]).toBeLessThan(50);
      expect(bottom[2]).toBeGreaterThan(200);
    });

    test('PNG, WebP, GIF and AVIF decode to the same size and colour as in Node; TIFF is IMAGE_UNSUPPORTED', async ({
      page,
    }) => {
      const base = sharp({ create: { width: 37, height: 23, channels: 3, background: { r: 200, g: 40, b: 90 } } });
      const encoded: [string, Buffer][] = [
        ['png', await base.clone().png().toBuffer()],
        ['webp', await base.clone().webp({ lossless: true }).toBuffer()],
        ['gif', await base.clone().gif().toBuffer()],
        ['avif', await base.clone().avif({ effort: 0, lossless: true }).toBuffer()],
      ];
      for (const [format, buf] of encoded) {
        const bytes = new Uint8Array(buf);
        const node = await nodeImageDecoder.decode(bytes);
        const result = await decodeIn(page, where, bytes, { sample: [[5, 5]] });
        expect(result, format).toMatchObject({ ok: true, format, width: node.width, height: node.height });
        if (!result.ok) continue;
        const i = (5 * node.width + 5) * 3;
        for (let c = 0; c < 3; c++)
          expect(Math.abs(result.pixels[0][c] - node.data[i + c]), format).toBeLessThanOrEqual(3);
      }
      // Node (libtiff) decodes TIFF; Chromium cannot, and says so with a typed error rather than "corrupt".
      const tiff = new Uint8Array(await base.clone().tiff().toBuffer());
      expect((await nodeImageDecoder.decode(tiff)).width).toBe(37);
      expect(await decodeIn(page, where, tiff)).toMatchObject({ ok: false, code: 'IMAGE_UNSUPPORTED' });
    });

    test('an embedded Display P3 profile is converted to sRGB as in Node', async ({ page }) => {
      const p3 = new Uint8Array(
        await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 255, g: 0, b: 0 } } })
          .png()
          .withIccProfile('p3')
          .toBuffer(),
      );
      const result = await decodeIn(page, where, p3, { sample: [[4, 4]] });
      if (!result.ok) throw new Error(`decode failed: ${result.code}`);
      const [r, g, b] = result.pixels[0];
      expect(r).toBeGreaterThanOrEqual(252);
      expect(g).toBeLessThanOrEqual(3);
      expect(b).toBeLessThanOrEqual(3);
    });

    test('alpha is flattened onto white exactly as in Node', async ({ page }) => {
      const w = 8;
      const h = 4;
      const rgba = Buffer.alloc(w * h * 4);
      for (let i = 0; i < w * h; i++)
        rgba.set([(i * 37) % 256, (i * 91) % 256, (i * 53) % 256, (i * 255) / (w * h - 1)], i * 4);
      const png = new Uint8Array(
        await sharp(rgba, { raw: { width: w, height: h, channels: 4 } })
          .png()
          .toBuffer(),
      );
      const node = await nodeImageDecoder.decode(png);
      const sample: [number, number][] = [];
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) sample.push([x, y]);
      const result = await decodeIn(page, where, png, { sample });
      if (!result.ok) throw new Error(`decode failed: ${result.code}`);
      expect(result.alphaFlattened).toBe(true);
      expect(node.alphaFlattened).toBe(true);
      // Chromium keeps canvas pixels premultiplied, so allow 1 level of rounding.
      sample.forEach(([x, y], k) => {
        const i = (y * w + x) * 3;
        for (let c = 0; c < 3; c++) expect(Math.abs(result.pixels[k][c] - node.data[i + c])).toBeLessThanOrEqual(1);
      });
      expect(result.pixels[0]).toEqual([255, 255, 255]); // alpha 0 -> pure white
    });
  });
}
