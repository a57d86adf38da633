/**
 * "Keep metadata" in the app (wasm, the toy test model: this is about files, not recall): with the setting
 * on, the downloaded PNG and JPEG (made by Chromium's canvas encoder) carry the original's EXIF with the
 * orientation reset to 1 and the sRGB profile, read back by sharp; with it off they carry none. The
 * setting survives a reload.
 */
import { readFileSync } from 'node:fs';
import { expect, type Page, test } from '@playwright/test';
import sharp from 'sharp';
import { CORPUS, dropFiles, routeTestModels, row, type TestFile, waitForEngine } from './ui-helpers';

test.use({ serviceWorkers: 'block' });
test.beforeEach(async ({ context }) => routeTestModels(context));

/** 48 x 80 stored, EXIF orientation 6 (shown 80 x 48), camera make and copyright, sRGB profile. */
async function cameraPhoto(name: string): Promise<TestFile> {
  const bytes = await sharp(`${CORPUS}/enl-green-maple.jpg`)
    .resize(48, 80, { fit: 'cover' })
    .withExif({ IFD0: { Make: 'FindableCam', Copyright: 'Jane Doe' } })
    .withMetadata({ orientation: 6 })
    .jpeg({ quality: 95 })
    .toBuffer();
  return { name, type: 'image/jpeg', bytes };
}

async function activateAndDownload(page: Page, photo: TestFile): Promise<Buffer> {
  await dropFiles(page, [photo]);
  await expect(row(page, photo.name)).toHaveAttribute('data-status', 'done', { timeout: 100_000 });
  const download = page.waitForEvent('download');
  await row(page, photo.name)
    .getByRole('button', { name: /^Download/ })
    .click();
  return readFileSync(await (await download).path());
}

test('keep metadata: the downloaded file carries the EXIF when on, none when off; the setting persists', async ({
  page,
}) => {
  test.setTimeout(180_000);
  const original = await sharp((await cameraPhoto('x.jpg')).bytes).metadata();
  expect([original.width, original.height, original.orientation]).toEqual([48, 80, 6]);

  await page.goto('/?backend=wasm');
  await waitForEngine(page, 100_000);
  await page.locator('summary', { hasText: 'Settings' }).click();
  await page.getByTestId('steps').fill('1');
  const keep = page.getByTestId('keep-metadata');
  await expect(keep).toBeEnabled();
  await expect(keep).not.toBeChecked();
  await keep.check();

  // On, PNG (the default format).
  const png = await sharp(await activateAndDownload(page, await cameraPhoto('kept.jpg'))).metadata();
  expect([png.format, png.width, png.height, png.orientation]).toEqual(['png', 80, 48, 1]);
  expect(png.exif?.toString('latin1')).toContain('FindableCam');
  expect(png.exif?.toString('latin1')).toContain('Jane Doe');
  expect(png.icc?.equals(original.icc as Buffer)).toBe(true);

  // On, JPEG.
  await page.getByRole('combobox', { name: 'Output format' }).selectOption('jpeg');
  const jpeg = await sharp(await activateAndDownload(page, await cameraPhoto('kept-jpeg.jpg'))).metadata();
  expect([jpeg.format, jpeg.width, jpeg.height, jpeg.orientation]).toEqual(['jpeg', 80, 48, 1]);
  expect(jpeg.exif?.toString('latin1')).toContain('FindableCam');

  // The choice survives a reload.
  await page.reload();
  await waitForEngine(page, 100_000);
  await page.locator('summary', { hasText: 'Settings' }).click();
  await expect(page.getByTestId('keep-metadata')).toBeChecked();

  // Off: nothing of the original's metadata, still upright.
  await page.getByTestId('keep-metadata').uncheck();
  await page.getByTestId('steps').fill('1');
  const bare = await sharp(await activateAndDownload(page, await cameraPhoto('bare.jpg'))).metadata();
  expect([bare.format, bare.width, bare.height, bare.orientation ?? 1]).toEqual(['jpeg', 80, 48, 1]);
  expect(bare.exif).toBeUndefined();
});
