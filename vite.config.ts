import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import react from '@vitejs/plugin-react';
import type { Plugin } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';
import { defineConfig } from 'vitest/config';

const root = import.meta.dirname;

/**
 * Until the real extractor (public/models/extractor.json + .onnx) and codebook (public/codebook.json)
 * exist, ship the TEST set (a 16x16 toy CNN and a codebook trained for it) under /dev-fixture/ so the app
 * and its end-to-end tests run; the app labels it as a test model. Nothing is emitted once both exist.
 */
function devFixtureModels(): Plugin {
  return {
    name: 'findable-dev-fixture-models',
    apply: 'build',
    generateBundle() {
      const real =
        existsSync(join(root, 'public/models/extractor.json')) && existsSync(join(root, 'public/codebook.json'));
      if (real) return;
      this.warn('public/models/extractor.json or public/codebook.json is missing: shipping the TEST model set.');
      const files: [string, string][] = [
        ['dev-fixture/extractor.onnx', 'src/core/activation/__fixtures__/step_cnn.onnx'],
        ['dev-fixture/extractor.json', 'e2e/__fixtures__/test-extractor.json'],
        ['dev-fixture/codebook.json', 'e2e/__fixtures__/test-codebook.json'],
      ];
      for (const [fileName, from] of files) {
        this.emitFile({ type: 'asset', fileName, source: readFileSync(join(root, from)) });
      }
    },
  };
}

// One config for the app build (vite build) and the unit tests (vitest run).
export default defineConfig({
  plugins: [
    react(),
    devFixtureModels(),
    VitePWA({
      registerType: 'prompt',
      injectRegister: false,
      includeAssets: ['icons/icon.svg', 'icons/apple-touch-icon.png'],
      manifest: {
        name: 'Findable: make your photos findable',
        short_name: 'Findable',
        description: 'Makes photos findable after publishing, with an invisible change computed on this device.',
        theme_color: '#2456d6',
        background_color: '#ffffff',
        display: 'standalone',
        start_url: '/',
        scope: '/',
        icons: [
          { src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: '/icons/maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
          { src: '/icons/icon.svg', sizes: 'any', type: 'image/svg+xml' },
        ],
      },
      workbox: {
        // Precached on install, so the app works offline after the first visit: the app, the worker,
        // onnxruntime's wasm (~27 MB) and the model manifest. The model itself (~21 MB) is kept by the
        // worker in Cache Storage (workers/assets.ts): precaching it too would download it twice on the
        // first visit. The codebook lives in IndexedDB (the worker's copy of /api/codebook).
        globPatterns: ['**/*.{js,css,html,svg,png,webmanifest,wasm}', 'models/*.json', 'dev-fixture/*'],
        globIgnores: ['codebook.json', '**/*.map'],
        maximumFileSizeToCacheInBytes: 48 * 1024 * 1024,
        cleanupOutdatedCaches: true,
        clientsClaim: true,
        navigateFallback: 'index.html',
        navigateFallbackDenylist: [/^\/api\//],
      },
    }),
  ],
  build: {
    outDir: 'dist',
    target: 'es2022',
    sourcemap: true,
  },
  worker: {
    format: 'es',
  },
  test: {
    include: ['src/**/*.test.ts', 'workers/**/*.test.ts', 'scripts/**/*.test.ts'],
    environment: 'node',
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
