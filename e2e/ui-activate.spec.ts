/**
 * The app end to end on WebAssembly: three dropped photos (one corrupt) -> two results and one clear
 * error row; the compare view's numbers; the ZIP holds exactly the two results; and no request made
 * while activating carries image bytes.
 */
import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { unzipSync } from 'fflate';
import { corrupt, dropFiles, row, smallPhoto, waitForEngine } from './ui-helpers';

// Without the service worker every request (page and worker) reaches Playwright, so none can hide.
test.use({ serviceWorkers: 'block' });

test('three dropped photos, one corrupt: two activate, one explains; ZIP of two; no image bytes sent', async ({
  page,
  context,
}) => {
  const a = await smallPhoto('enl-mountain.jpg', 160, 'mountain.jpg');
  const b = await smallPhoto('enl-red-maple.jpg', 160, 'maple.jpg');
  const broken = corrupt(await smallPhoto('enl-bamboo.jpg', 160), 'broken.jpg');

  // Every request the page or its workers make, with its body.
  const requests: { url: string; method: string; body: Buffer | null }[] = [];
  context.on('request', (r) => requests.push({ url: r.url(), method: r.method(), body: r.postDataBuffer() }));

  await page.goto('/?backend=wasm');
  await waitForEngine(page);
  const before = requests.length;

  await dropFiles(page, [a, broken, b]);
  await expect(page.getByTestId('queue-row')).toHaveCount(3);
  await expect(row(page, 'mountain.jpg')).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
  await expect(row(page, 'maple.jpg')).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
  await expect(row(page, 'broken.jpg')).toHaveAttribute('data-status', 'error');
  await expect(row(page, 'broken.jpg')).toHaveAttribute('data-error-code', 'IMAGE_CORRUPT');
  await expect(row(page, 'broken.jpg')).toContainText('damaged or truncated');

  // Compare view (the first result is shown): PSNR >= 38 dB, and the other numbers are there.
  const psnr = Number(await page.getByTestId('psnr').getAttribute('data-value'));
  expect(psnr).toBeGreaterThanOrEqual(38);
  await expect(page.getByTestId('ssim')).not.toHaveText('-');
  await expect(page.getByTestId('linf')).toContainText('/ 255');
  const gain = page.getByTestId('gain');
  expect(Number(await gain.getAttribute('data-cosine-after'))).toBeGreaterThan(
    Number(await gain.getAttribute('data-cosine-before')),
  );
  // Keys 1/2/3 move the split; the zoom buttons change the zoom of both layers.
  await page.keyboard.press('1');
  await expect(page.getByTestId('split')).toHaveValue('100');
  await page.keyboard.press('3');
  await expect(page.getByTestId('split')).toHaveValue('0');
  await page.getByRole('button', { name: 'Zoom in' }).click();
  await expect(page.getByTestId('zoom')).toHaveText('200%');

  // Nothing that left the page while activating carried image bytes (only GETs of the app and models).
  const during = requests.slice(before);
  for (const r of during) {
    if (!r.body) continue;
    for (const photo of [a, b, broken]) {
      const probe = photo.bytes.subarray(200, 264);
      expect(r.body.includes(probe), `${r.method} ${r.url} carries image bytes`).toBe(false);
    }
    expect(r.body.length, `${r.method} ${r.url} body size`).toBeLessThan(64 * 1024);
  }

  // ZIP: exactly the two results, as PNG.
  const downloadPromise = page.waitForEvent('download');
  await page.getByTestId('download-zip').click();
  const download = await downloadPromise;
  expect(download.suggestedFilename()).toMatch(/^findable-\d{4}-\d{2}-\d{2}\.zip$/);
  const entries = unzipSync(new Uint8Array(readFileSync(await download.path())));
  expect(Object.keys(entries).sort()).toEqual(['maple-findable.png', 'mountain-findable.png']);
  for (const bytes of Object.values(entries)) expect(Array.from(bytes.subarray(1, 4))).toEqual([0x50, 0x4e, 0x47]);

  // History keeps numbers and thumbnails.
  await page.getByText(/^History/).click();
  await expect(page.getByTestId('history-row')).toHaveCount(2);
});
