/**
 * Queue control and offline use: cancelling in the middle of a batch keeps finished results and cancels
 * the rest (the worker stays usable); after one visit the app activates photos with the network off.
 */
import { expect, test } from '@playwright/test';
import { dropFiles, row, smallPhoto, waitForEngine } from './ui-helpers';

test('cancel in the middle of a batch: finished results stay, the rest is cancelled, retry works', async ({ page }) => {
  await page.goto('/?backend=wasm');
  await waitForEngine(page);
  // Slow each photo down so the batch is still running when we cancel.
  await page.locator('summary', { hasText: 'Settings' }).click();
  await page.getByTestId('steps').fill('12');
  const names = ['one.jpg', 'two.jpg', 'three.jpg', 'four.jpg'];
  const sources = ['enl-mountain.jpg', 'enl-peaks.jpg', 'enl-god-rays.jpg', 'enl-snow-trees.jpg'];
  const photos = await Promise.all(sources.map((s, i) => smallPhoto(s, 256, names[i])));
  await dropFiles(page, photos);
  await expect(row(page, 'one.jpg')).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
  await expect(row(page, 'two.jpg')).toHaveAttribute('data-status', 'running');
  await page.getByRole('button', { name: 'Cancel all' }).click();

  await expect(row(page, 'one.jpg')).toHaveAttribute('data-status', 'done');
  for (const n of ['two.jpg', 'three.jpg', 'four.jpg']) {
    await expect(row(page, n)).toHaveAttribute('data-status', 'cancelled');
  }
  // Nothing runs any more, and the finished result is still there to compare and download.
  await page.waitForTimeout(1500);
  await expect(page.locator('[data-testid="queue-row"][data-status="running"]')).toHaveCount(0);
  await expect(page.getByTestId('compare')).toBeVisible();
  const download = page.waitForEvent('download');
  await row(page, 'one.jpg')
    .getByRole('button', { name: /^Download/ })
    .click();
  expect((await download).suggestedFilename()).toBe('one-findable.png');

  // The worker was not terminated: a retried photo activates.
  await page.getByTestId('steps').fill('2');
  await row(page, 'three.jpg')
    .getByRole('button', { name: /^Retry/ })
    .click();
  await expect(row(page, 'three.jpg')).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
  await expect(row(page, 'two.jpg')).toHaveAttribute('data-status', 'cancelled');
});

test('offline after one visit: reload with the network off and activate a photo', async ({ page, context }) => {
  await page.goto('/?backend=wasm');
  await waitForEngine(page);
  // The service worker has precached the app, onnxruntime's wasm and the model.
  await expect(page.locator('html')).toHaveAttribute('data-offline-ready', 'true', { timeout: 60_000 });

  await context.setOffline(true);
  await page.reload();
  expect(await page.evaluate(() => navigator.onLine)).toBe(false);
  await waitForEngine(page);
  await dropFiles(page, [await smallPhoto('enl-white-flower.jpg', 128, 'flower.jpg')]);
  await expect(row(page, 'flower.jpg')).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
  expect(Number(await page.getByTestId('psnr').getAttribute('data-value'))).toBeGreaterThan(30);
  await context.setOffline(false);
});
