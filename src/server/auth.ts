import type { FastifyReply, FastifyRequest } from 'fastify';
import { FindableError } from '../core/errors';
import type { RateLimiters } from './rate-limits';
import type { RegistryStore, TokenRecord } from './store/registry-store';
import { authenticate } from './tokens';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated token (routes with the requireToken hook only). */
    token: TokenRecord | null;
  }
}

/**
 * onRequest hook for write routes: runs before the body is read or validated, so an unauthenticated
 * client gets 401 (same answer for missing and wrong tokens) without the server parsing its body, and a
 * token over its write rate gets 429. Sets request.token.
 */
export function requireToken(store: RegistryStore, limiters: RateLimiters) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const token = await authenticate(store, request.headers.authorization);
    if (!token) {
      throw new FindableError('UNAUTHORIZED', 'A valid token is required: send "Authorization: Bearer fdb_...".');
    }
    request.token = token;
    await limiters.writesPerToken(request, reply, token.id);
  };
}
