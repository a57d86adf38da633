/**
 * GET /api/codebook: the codebook JSON the browser encodes with (revalidated: ETag, no-cache) and
 * GET /api/codebook/:version, the same bytes under a URL that never changes content (immutable).
 * Compression comes from @fastify/compress (registered in app.ts).
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { FindableError } from '../../core/errors';
import type { RegistryContext, ServedCodebook } from './context';

function served(ctx: RegistryContext): ServedCodebook {
  if (!ctx.codebook) throw new FindableError('UNAVAILABLE', 'No codebook is loaded on this server.');
  return ctx.codebook;
}

function etagMatches(request: FastifyRequest, etag: string): boolean {
  const header = request.headers['if-none-match'];
  if (!header) return false;
  return header
    .split(',')
    .map((t) => t.trim().replace(/^W\//, ''))
    .some((t) => t === etag || t === '*');
}

function send(request: FastifyRequest, reply: FastifyReply, codebook: ServedCodebook, cacheControl: string) {
  reply
    .header('ETag', codebook.etag)
    .header('Cache-Control', cacheControl)
    .header('X-Codebook-Version', codebook.version)
    .header('Content-Location', `/api/codebook/${encodeURIComponent(codebook.version)}`);
  if (etagMatches(request, codebook.etag)) return reply.status(304).send();
  return reply.type('application/json; charset=utf-8').send(codebook.bytes);
}

export const codebookRoutes: FastifyPluginAsync<RegistryContext> = async (app, ctx) => {
  app.get('/api/codebook', async (request, reply) => send(request, reply, served(ctx), 'no-cache'));

  app.get<{ Params: { version: string } }>(
    '/api/codebook/:version',
    { schema: { params: { type: 'object', properties: { version: { type: 'string', maxLength: 128 } } } } },
    async (request, reply) => {
      const codebook = served(ctx);
      if (request.params.version !== codebook.version) {
        throw new FindableError(
          'NOT_FOUND',
          `This server serves codebook "${codebook.version}", not "${request.params.version}".`,
        );
      }
      return send(request, reply, codebook, 'public, max-age=31536000, immutable');
    },
  );
};
