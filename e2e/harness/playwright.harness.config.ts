import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../chromium.ts';

// Runs the harness-based specs (e2e/decode.spec.ts) without the app server or the global setup:
//   npx playwright test -c e2e/harness/playwright.harness.config.ts
// Same Chromium as the main config (Debian's, see docs/environment.md).
export default defineConfig({
  testDir: '..',
  testMatch: 'decode.spec.ts',
  timeout: 60_000,
  workers: 1,
  reporter: [['list']],
  outputDir: '../../.tmp/e2e-harness/test-results',
  projects: [
    {
      name: 'chromium',
      use: {
        launchOptions: {
          executablePath: CHROMIUM_PATH,
          args: CHROMIUM_ARGS,
        },
      },
    },
  ],
});
