import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './e2e/chromium.ts';

// A fresh data directory per run; set once in the runner so its worker processes inherit it.
process.env.E2E_DATA_DIR ??= `.tmp/e2e-data/${Date.now()}`;

// End-to-end tests drive Debian's Chromium (Playwright cannot download browsers here) against the
// BUILT app served by the real Findable server, never Vite's dev server.
const port = Number(process.env.E2E_PORT ?? 8191);

export default defineConfig({
  testDir: 'e2e',
  testMatch: '**/*.spec.ts',
  timeout: 120_000,
  workers: 1,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    launchOptions: { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS },
  },
  projects: [
    { name: 'chromium', testIgnore: '**/*.webgpu.spec.ts' },
    {
      name: 'chromium-webgpu',
      testMatch: '**/*.webgpu.spec.ts',
      use: {
        launchOptions: {
          executablePath: CHROMIUM_PATH,
          args: [...CHROMIUM_ARGS, '--enable-unsafe-webgpu'],
        },
      },
    },
  ],
  webServer: {
    command: `node bin/findable.mjs serve --port ${port} --host 127.0.0.1 --data ${process.env.E2E_DATA_DIR}`,
    url: `http://127.0.0.1:${port}/api/health`,
    reuseExistingServer: false,
    timeout: 120_000,
  },
});
