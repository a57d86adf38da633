/**
 * The app and the server's API: "check a copy" extracts the feature in the browser and sends only that
 * vector to POST /api/search; opt-in registration sends the list code with the stored token. With the
 * real codebook on the server this is a real round trip (token from the CLI); otherwise the two API
 * routes are answered by the test, which checks exactly what the app sent.
 */
import { execFileSync } from 'node:child_process';
import { expect, type Page, test } from '@playwright/test';
import { dropFiles, row, smallPhoto, waitForEngine } from './ui-helpers';

async function setToken(page: Page, token: string) {
  await page.locator('summary', { hasText: 'Settings' }).click();
  await page.getByLabel('Access token').fill(token);
}

test.describe('without a service worker, page.route sees every request', () => {
  test.use({ serviceWorkers: 'block' });
  test('check a copy and register, against answers checked by the test', async ({ page }) => {
    const searches: unknown[] = [];
    const registrations: { auth: string | undefined; body: Record<string, unknown> }[] = [];
    await page.route('**/api/search', async (route) => {
      searches.push(route.request().postDataJSON());
      await route.fulfill({
        json: {
          codebookVersion: 'v',
          k: 5,
          nprobe: 1,
          threshold: 0.5,
          matches: [
            {
              id: 41,
              distance: 0.12,
              decision: 'match',
              title: 'Harbour at dawn',
              creatorName: 'Ada',
              creatorUrl: 'https://ada.example',
              sha256: 'a'.repeat(64),
              codebookVersion: 'v',
              createdAt: 1,
            },
          ],
        },
      });
    });
    await page.route('**/api/images', async (route) => {
      registrations.push({ auth: route.request().headers().authorization, body: route.request().postDataJSON() });
      await route.fulfill({ status: 201, json: { id: 41 } });
    });
    await page.goto('/?backend=wasm');
    await waitForEngine(page);
    const dim = Number(await page.getByTestId('engine-status').getAttribute('data-dim'));
    const version = await page.getByTestId('engine-status').getAttribute('data-codebook-version');

    await page.locator('summary', { hasText: 'Check a copy' }).click();
    const copy = await smallPhoto('enl-sunset-clouds.jpg', 200, 'suspect.jpg');
    await page.getByTestId('check-input').setInputFiles({ name: copy.name, mimeType: copy.type, buffer: copy.bytes });
    await expect(page.getByTestId('check-results')).toContainText('Match: #41 Harbour at dawn by Ada');
    expect(searches).toHaveLength(1);
    const body = searches[0] as { feature: number[]; k: number };
    expect(Object.keys(body).sort()).toEqual(['feature', 'k']);
    expect(body.feature).toHaveLength(dim);
    expect(body.feature.every((v) => Number.isFinite(v))).toBe(true);

    await setToken(page, 'fdb_test-token');
    await dropFiles(page, [await smallPhoto('enl-yellow-flower.jpg', 128, 'flower.jpg')]);
    await expect(row(page, 'flower.jpg')).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
    await row(page, 'flower.jpg')
      .getByRole('button', { name: /^Register/ })
      .click();
    await expect(row(page, 'flower.jpg')).toContainText('registered #41');
    expect(registrations).toHaveLength(1);
    expect(registrations[0].auth).toBe('Bearer fdb_test-token');
    const r = registrations[0].body;
    expect(Object.keys(r).sort()).toEqual(['code', 'codebookVersion', 'listId', 'sha256', 'title']);
    expect(r).toMatchObject({ title: 'flower.jpg', codebookVersion: version });
    expect(r.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(typeof r.code).toBe('string');
    // The token is remembered on this device.
    await page.reload();
    await page.locator('summary', { hasText: 'Settings' }).click();
    await expect(page.getByLabel('Access token')).toHaveValue('fdb_test-token');
  });
});

test('real round trip: register an activated photo, then find it from a copy', async ({ page, request }) => {
  const served = await request.get('/api/codebook');
  test.skip(!served.ok(), 'the server has no codebook yet (public/codebook.json)');
  const token = execFileSync(
    'node',
    ['bin/findable.mjs', 'tokens', 'create', '--name', `e2e-${Date.now()}`, '--data', process.env.E2E_DATA_DIR ?? ''],
    { encoding: 'utf8' },
  ).trim();
  await page.goto('/?backend=wasm');
  await waitForEngine(page, 90_000);
  test.skip(
    (await page.getByTestId('engine-status').getAttribute('data-codebook-version')) !==
      served.headers()['x-codebook-version'],
    'the app and the server use different codebooks (the app runs on its test set)',
  );
  await setToken(page, token);
  await page.getByLabel(/Register each activated photo/).check();
  const photo = await smallPhoto('enl-lichen-branches.jpg', 256, 'lichen.jpg');
  await dropFiles(page, [photo]);
  await expect(row(page, 'lichen.jpg')).toContainText(/registered #\d+/, { timeout: 90_000 });

  // The activated file, downloaded and re-encoded as JPEG, is the "copy".
  const download = page.waitForEvent('download');
  await row(page, 'lichen.jpg')
    .getByRole('button', { name: /^Download/ })
    .click();
  const copy = await (await import('sharp'))
    .default(await (await download).path())
    .jpeg({ quality: 80 })
    .toBuffer();
  await page.locator('summary', { hasText: 'Check a copy' }).click();
  await page.getByTestId('check-input').setInputFiles({ name: 'copy.jpg', mimeType: 'image/jpeg', buffer: copy });
  await expect(page.getByTestId('check-results')).toContainText('lichen.jpg', { timeout: 60_000 });
});
