import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance } from 'fastify';
import { FindableError } from '../core/errors';
import { sendError } from './http-errors';
import { applySecurityHeaders } from './security-headers';

export interface AppOptions {
  /** The built app (vite build output). */
  distDir: string;
  /** Where durable state lives (SQLite database, tokens). */
  dataDir: string;
  logger?: boolean;
  version?: string;
}

/** Builds the Findable server: the built app as static files, and the JSON API under /api. */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const distDir = resolve(options.distDir);
  if (!existsSync(join(distDir, 'index.html'))) {
    throw new FindableError(
      'IO',
      `The app is not built: ${join(distDir, 'index.html')} is missing. Run "npm run build".`,
    );
  }

  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: 1024 * 1024,
    requestTimeout: 60_000,
  });

  app.addHook('onSend', async (_request, reply, payload) => {
    applySecurityHeaders(reply);
    return payload;
  });

  app.setErrorHandler((error, _request, reply) => sendError(reply, error));

  app.get('/api/health', async () => ({ status: 'ok', version: options.version ?? 'dev' }));

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
