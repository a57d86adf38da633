/**
 * The PWA "update available" notice (issue 7's UI list), with the production service worker: a first
 * visit installs the Workbox service worker built by vite-plugin-pwa (registerType 'prompt'); the server
 * is then restarted on the same origin with a second build whose index.html changed, so its sw.js differs
 * only by that file's precache revision, as after a real deploy. The next visit finds the new service
 * worker, which installs and waits; the app shows its notice, and Reload (SKIP_WAITING, then a reload when
 * the new worker takes control) brings the new version.
 */
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { type FindableServer, freePort, snapshotDist, startFindable } from './findable-server';

const MARKER = '<meta name="findable-e2e-build" content="v2" />';

/** Build v2 = build v1 with a changed index.html, and the sw.js precache revision Workbox gives it (md5). */
function makeSecondBuild(v1: string, v2: string): void {
  snapshotDist(v2, v1);
  const html = readFileSync(join(v1, 'index.html'), 'utf8').replace('<head>', `<head>\n    ${MARKER}`);
  writeFileSync(join(v2, 'index.html'), html);
  const oldRevision = createHash('md5')
    .update(readFileSync(join(v1, 'index.html')))
    .digest('hex');
  const newRevision = createHash('md5').update(html).digest('hex');
  const sw = readFileSync(join(v1, 'sw.js'), 'utf8');
  const entry = (revision: string) => `{url:"index.html",revision:"${revision}"}`;
  if (!sw.includes(entry(oldRevision))) throw new Error(`sw.js has no precache entry ${entry(oldRevision)}`);
  writeFileSync(join(v2, 'sw.js'), sw.replace(entry(oldRevision), entry(newRevision)));
}

test('a new build: "An update is available", and Reload switches to it', async ({ page }, testInfo) => {
  const v1 = snapshotDist(testInfo.outputPath('dist-v1'));
  const v2 = testInfo.outputPath('dist-v2');
  makeSecondBuild(v1, v2);
  const data = testInfo.outputPath('data');
  // Both builds must be served from the same origin (one service worker registration): same port.
  const port = await freePort();
  let server: FindableServer | null = await startFindable({ data, dist: v1, port });
  try {
    await page.goto(`${server.base}/`);
    await expect(page.locator('html')).toHaveAttribute('data-offline-ready', 'true', { timeout: 60_000 });
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    await expect(page.locator('meta[name="findable-e2e-build"]')).toHaveCount(0);

    await server.stop();
    server = null;
    server = await startFindable({ data, dist: v2, port });

    // The old worker still serves the old app from its precache; the browser checks sw.js on navigation.
    await page.reload();
    const notice = page.getByTestId('toast').filter({ hasText: 'An update is available.' });
    await expect(notice).toBeVisible({ timeout: 60_000 });
    await expect(page.locator('meta[name="findable-e2e-build"]')).toHaveCount(0);
    expect(await page.evaluate(async () => Boolean((await navigator.serviceWorker.getRegistration())?.waiting))).toBe(
      true,
    );

    // Reload: the waiting worker takes over and the page reloads itself into the new version.
    const before = await page.evaluate(() => performance.timeOrigin);
    await notice.getByRole('button', { name: 'Reload' }).click();
    await expect(page.locator('meta[name="findable-e2e-build"]')).toHaveAttribute('content', 'v2', {
      timeout: 30_000,
    });
    expect(await page.evaluate(() => performance.timeOrigin)).toBeGreaterThan(before);
    const state = await page.evaluate(async () => {
      const registration = await navigator.serviceWorker.getRegistration();
      return { waiting: Boolean(registration?.waiting), controlled: navigator.serviceWorker.controller !== null };
    });
    expect(state).toEqual({ waiting: false, controlled: true });
    await expect(page.getByTestId('toast').filter({ hasText: 'An update is available.' })).toHaveCount(0);
    await expect(page.locator('html')).toHaveAttribute('data-drop-ready', 'true');
  } finally {
    await server?.stop();
    // The two copies of the app are ~100 MB: do not leave them in test-results/.
    rmSync(v1, { recursive: true, force: true });
    rmSync(v2, { recursive: true, force: true });
  }
});
