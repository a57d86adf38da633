import { expect, test } from '@playwright/test';

test('the built app is served by the Findable server', async ({ page, request }) => {
  const health = await request.get('/api/health');
  expect(health.ok()).toBe(true);
  expect(await health.json()).toMatchObject({ status: 'ok' });

  const response = await page.goto('/');
  expect(response?.status()).toBe(200);
  // Our server's headers, and Vite's hashed build output rather than the dev server's /src modules.
  expect(response?.headers()['cross-origin-opener-policy']).toBe('same-origin');
  expect(response?.headers()['cross-origin-embedder-policy']).toBe('require-corp');
  const html = await response!.text();
  expect(html).toMatch(/src="\/assets\/index-[\w-]+\.js"/);
  expect(html).not.toContain('/src/ui/main.tsx');
  await expect(page.getByRole('heading', { name: 'Findable' })).toBeVisible();
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
});

test('hashed assets are cached for a year, the shell revalidates', async ({ page, request }) => {
  const response = await page.goto('/');
  expect(response?.headers()['cache-control']).toBe('no-cache');
  const asset = (await response!.text()).match(/src="(\/assets\/index-[\w-]+\.js)"/)![1];
  const assetResponse = await request.get(asset);
  expect(assetResponse.headers()['cache-control']).toContain('immutable');
});

test('unknown API routes answer JSON errors, unknown pages fall back to the app', async ({ request }) => {
  const api = await request.get('/api/nope');
  expect(api.status()).toBe(404);
  expect(await api.json()).toMatchObject({ code: 'NOT_FOUND' });
  const page = await request.get('/some/client/route');
  expect(page.status()).toBe(200);
  expect(await page.text()).toContain('<div id="root">');
  // Traversal out of the build folder never reaches files beside it (answers: the shell or an error).
  for (const path of ['/..%2f..%2fpackage.json', '/assets/..%2f..%2fpackage.json', '/%2e%2e/%2e%2e/package.json']) {
    const traversal = await request.get(path);
    expect(await traversal.text()).not.toContain('"devDependencies"');
  }
});

test('without WebGPU the page says it computes on WebAssembly, and why', async ({ page }) => {
  await page.goto('/');
  const status = page.getByTestId('backend');
  await expect(status).toHaveAttribute('data-backend', 'wasm');
  await expect(status).toContainText('WebAssembly');
  await expect(status).toContainText(/navigator\.gpu is missing|no GPU adapter/);
});
