import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isFindableError } from '../core/errors';
import { buildApp } from './app';

function fakeDist(): string {
  const dir = mkdtempSync(join(tmpdir(), 'findable-dist-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><div id="root"></div>');
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
  return dir;
}

describe('buildApp', () => {
  it('refuses to start without a built app, saying what to run', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'findable-empty-'));
    await expect(buildApp({ distDir: empty, dataDir: empty })).rejects.toSatisfy(
      (e: unknown) => isFindableError(e, 'IO') && /npm run build/.test((e as Error).message),
    );
  });

  it('answers health, serves the shell and assets with the right caching and isolation headers', async () => {
    const dist = fakeDist();
    const app = await buildApp({ distDir: dist, dataDir: dist, version: '1.2.3' });
    const health = await app.inject({ method: 'GET', url: '/api/health' });
    expect(health.json()).toEqual({ status: 'ok', version: '1.2.3' });

    const shell = await app.inject({ method: 'GET', url: '/' });
    expect(shell.statusCode).toBe(200);
    expect(shell.headers['cache-control']).toBe('no-cache');
    expect(shell.headers['cross-origin-embedder-policy']).toBe('require-corp');

    const asset = await app.inject({ method: 'GET', url: '/assets/index-abc123.js' });
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');

    const missingApi = await app.inject({ method: 'POST', url: '/api/none' });
    expect(missingApi.statusCode).toBe(404);
    expect(missingApi.json()).toMatchObject({ code: 'NOT_FOUND' });
    await app.close();
  });
});
