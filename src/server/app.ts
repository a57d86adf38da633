import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fastifyCompress from '@fastify/compress';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance } from 'fastify';
import { FindableError, isFindableError } from '../core/errors';
import type { Extractor } from './extractor';
import { sendError } from './http-errors';
import { resolveLimits, type ServerLimits } from './limits';
import { type LiveIndex, rebuildLiveIndex } from './live-index';
import { createRateLimiters } from './rate-limits';
import { codebookRoutes } from './routes/codebook';
import type { RegistryContext, ServedCodebook } from './routes/context';
import { imageRoutes } from './routes/images';
import { searchRoutes } from './routes/search';
import { applySecurityHeaders } from './security-headers';
import type { RegistryStore } from './store/registry-store';
import { SqliteRegistryStore } from './store/sqlite-store';

export interface AppOptions {
  /** The built app (vite build output). */
  distDir: string;
  /** Where durable state lives (SQLite database, tokens). */
  dataDir: string;
  logger?: boolean;
  version?: string;
  /** Storage; default: SqliteRegistryStore in dataDir, closed with the app. A given store is not closed. */
  store?: RegistryStore;
  /** The codebook to serve and index with; when absent, loaded from codebookPath if that file exists. */
  codebook?: { served: ServedCodebook; index: LiveIndex } | null;
  /** Codebook JSON file (default: none). */
  codebookPath?: string;
  /** The extractor for search by image; when absent, loaded from extractorManifestPath if it exists. */
  extractor?: Extractor | null;
  /** The extractor's manifest (extractor.json, next to extractor.onnx). Default: none. */
  extractorManifestPath?: string;
  /** Overrides of the default limits (body sizes, timeouts, rate limits). */
  limits?: Partial<ServerLimits>;
  /** Squared-L2 distance at or below which a search result is reported as a copy (DEFAULT_MATCH_THRESHOLD). */
  matchThreshold?: number;
  /** nprobe for searches that do not ask (default 1, the paper's setting). */
  defaultNprobe?: number;
  /** Trust X-Forwarded-For for client IPs (only behind a proxy you control). Default false. */
  trustProxy?: boolean;
}

/**
 * Squared L2 distance (unit-norm 512-d features; = 2 - 2 cos) at or below which a search result is a copy.
 * Calibrated on the corpus by src/server/copies.e2e.test.ts (docs/server.md): the nearest of 100
 * distractors lies at 0.97, every JPEG-50 copy of an activated photo at <= 0.82; 0.85 keeps a 0.12 margin
 * below the closest unrelated image. Recalibrate whenever the extractor or codebook changes.
 */
export const DEFAULT_MATCH_THRESHOLD = 0.85;

/** Builds the Findable server: the built app as static files, and the JSON API under /api. */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const distDir = resolve(options.distDir);
  if (!existsSync(join(distDir, 'index.html'))) {
    throw new FindableError(
      'IO',
      `The app is not built: ${join(distDir, 'index.html')} is missing. Run "npm run build".`,
    );
  }
  const limits = resolveLimits(options.limits);

  let extractor = options.extractor ?? null;
  if (extractor === null && options.extractor === undefined && options.extractorManifestPath) {
    if (existsSync(options.extractorManifestPath)) {
      const { loadOnnxExtractor } = await import('./extractor');
      extractor = await loadOnnxExtractor(options.extractorManifestPath);
    }
  }
  let codebook = options.codebook ?? null;
  if (codebook === null && options.codebook === undefined && options.codebookPath && existsSync(options.codebookPath)) {
    const { loadCodebookFile } = await import('./codebook-loader');
    // With an extractor loaded, a codebook trained for another model is refused (CODEBOOK_EXTRACTOR_MISMATCH).
    codebook = loadCodebookFile(
      options.codebookPath,
      extractor ? { id: extractor.id, sha256: extractor.sha256 } : undefined,
    );
  }
  if (extractor && codebook && extractor.dim !== codebook.index.d) {
    throw new FindableError(
      'CODEBOOK_EXTRACTOR_MISMATCH',
      `The extractor gives ${extractor.dim}-d features; the codebook indexes ${codebook.index.d}-d vectors.`,
    );
  }
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: limits.jsonBodyBytes,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    trustProxy: options.trustProxy ?? false,
    // Strict validation: no type coercion (a "1.5" or null inside a feature is refused, not turned
    // into a number), unknown properties refused rather than silently dropped.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
  });

  const ownStore = options.store === undefined;
  const store = options.store ?? new SqliteRegistryStore({ dataDir: options.dataDir });
  if (ownStore) app.addHook('onClose', async () => store.close());
  if (codebook) {
    try {
      const t0 = performance.now();
      const report = await rebuildLiveIndex(store, codebook.index);
      // The duration is logged for operators (and read by bench/suites/server.bench.ts).
      const durationMs = Math.round(performance.now() - t0);
      app.log.info(
        { ...report, durationMs, codebookVersion: codebook.served.version },
        'live index rebuilt from the store',
      );
    } catch (e) {
      await app.close(); // closes our store
      throw e;
    }
  }

  app.addHook('onSend', async (_request, reply, payload) => {
    applySecurityHeaders(reply);
    return payload;
  });

  app.setErrorHandler((error, _request, reply) => {
    if (isFindableError(error, 'UNAUTHORIZED')) reply.header('WWW-Authenticate', 'Bearer');
    return sendError(reply, error);
  });

  await app.register(fastifyCompress, { global: true, globalDecompression: false, threshold: 1024 });
  await app.register(fastifyRateLimit, { global: false });
  const limiters = createRateLimiters(app, limits);
  app.addHook('onRequest', async (request, reply) => {
    if (request.url.startsWith('/api/') && request.url !== '/api/health') await limiters.perIp(request, reply);
  });

  app.get('/api/health', async () => ({ status: 'ok', version: options.version ?? 'dev' }));

  const ctx: RegistryContext = {
    store,
    index: codebook?.index ?? null,
    codebook: codebook?.served ?? null,
    extractor,
    limits,
    limiters,
    matchThreshold: options.matchThreshold ?? DEFAULT_MATCH_THRESHOLD,
    defaultNprobe: options.defaultNprobe ?? 1,
  };
  await app.register(imageRoutes, ctx);
  await app.register(searchRoutes, ctx);
  await app.register(codebookRoutes, ctx);

  await app.register(fastifyStatic, {
    root: distDir,
    index: ['index.html'],
    wildcard: false,
    cacheControl: false,
    // Vite content-hashes everything under /assets: cache it for a year; the rest must revalidate.
    setHeaders(reply, path) {
      const hashed = path.startsWith(join(distDir, 'assets'));
      reply.header('Cache-Control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });

  app.setNotFoundHandler((request, reply) => {
    if (request.url.startsWith('/api/') || request.method !== 'GET') {
      return sendError(reply, {
        statusCode: 404,
        code: 'NOT_FOUND',
        message: `No route ${request.method} ${request.url}`,
      });
    }
    // Client-side routes fall back to the app shell.
    return reply.header('Cache-Control', 'no-cache').sendFile('index.html');
  });

  return app;
}
