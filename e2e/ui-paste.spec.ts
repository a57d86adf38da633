/**
 * Paste (issue 7's UI list): Ctrl+V of an image on the system clipboard adds it to the queue and it
 * activates; a pasted file (as a file manager copies one) keeps its name; pasting text adds nothing.
 */
import { expect, test } from '@playwright/test';
import sharp from 'sharp';
import { CORPUS, row, smallPhoto, waitForEngine } from './ui-helpers';

test('Ctrl+V of a copied image queues it and it activates', async ({ page, context, baseURL }) => {
  // What an image editor or "Copy image" puts on the clipboard: PNG pixels without a file name.
  const png = await sharp(`${CORPUS}/enl-god-rays.jpg`)
    .resize({ width: 160, height: 160, fit: 'inside' })
    .png()
    .toBuffer();
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseURL });
  await page.goto('/?backend=wasm');
  await expect(page.locator('html')).toHaveAttribute('data-drop-ready', 'true');
  await page.evaluate(async (b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    await navigator.clipboard.write([new ClipboardItem({ 'image/png': new Blob([bytes], { type: 'image/png' }) })]);
  }, png.toString('base64'));

  await page.locator('body').click();
  await page.keyboard.press('Control+V');
  const rows = page.getByTestId('queue-row');
  await expect(rows).toHaveCount(1);
  // Chromium names clipboard images image.png; a nameless file would be shown as "pasted image".
  await expect(rows.first()).toHaveAttribute('data-name', /^(image\.png|pasted image)$/);
  await waitForEngine(page);
  await expect(rows.first()).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
  await expect(rows.first()).toHaveAttribute('data-backend', 'wasm');
  expect(Number(await page.getByTestId('psnr').getAttribute('data-value'))).toBeGreaterThan(30);
});

test('a pasted file keeps its name and activates; pasting text adds nothing', async ({ page }) => {
  const photo = await smallPhoto('enl-red-maple.jpg', 160, 'maple from the file manager.jpg');
  await page.goto('/?backend=wasm');
  await waitForEngine(page);

  // A ClipboardEvent carrying a File is what the browser dispatches when a copied file is pasted.
  const paste = (item: { text?: string; file?: { name: string; type: string; b64: string } }) =>
    page.evaluate((it) => {
      const dt = new DataTransfer();
      if (it.text) dt.setData('text/plain', it.text);
      if (it.file) {
        const bytes = Uint8Array.from(atob(it.file.b64), (c) => c.charCodeAt(0));
        dt.items.add(new File([bytes], it.file.name, { type: it.file.type }));
      }
      const event = new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true });
      document.body.dispatchEvent(event);
      return event.defaultPrevented;
    }, item);

  // Text (say, a token pasted outside its field) is left to the page: no row, default not prevented.
  expect(await paste({ text: 'not an image' })).toBe(false);
  await expect(page.getByTestId('queue-row')).toHaveCount(0);

  expect(await paste({ file: { name: photo.name, type: photo.type, b64: photo.bytes.toString('base64') } })).toBe(true);
  await expect(page.getByTestId('queue-row')).toHaveCount(1);
  await expect(row(page, photo.name)).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
  expect(Number(await page.getByTestId('psnr').getAttribute('data-value'))).toBeGreaterThan(30);
});
