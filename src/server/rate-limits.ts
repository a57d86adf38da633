/**
 * Per-IP and per-token rate limits on @fastify/rate-limit's stores. Its route hooks run only one
 * limiter per request, so the limiters are created with `createRateLimit` and applied here, in order:
 * per IP on every /api request, per IP again on searches, per token on authenticated writes.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { FindableError } from '../core/errors';
import type { ServerLimits } from './limits';

type Check = (request: FastifyRequest) => Promise<{ isAllowed: boolean; isExceeded?: boolean; ttlInSeconds?: number }>;

export interface RateLimiters {
  perIp(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  searchPerIp(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  writesPerToken(request: FastifyRequest, reply: FastifyReply, tokenId: number): Promise<void>;
}

function limiter(app: FastifyInstance, max: number, windowMs: number, key: (r: FastifyRequest) => string): Check {
  const create = (app as unknown as { createRateLimit: (o: object) => Check }).createRateLimit;
  return create({ max, timeWindow: windowMs, keyGenerator: key });
}

async function enforce(check: Check, request: FastifyRequest, reply: FastifyReply, what: string): Promise<void> {
  const result = await check(request);
  if (result.isAllowed || !result.isExceeded) return;
  const retry = result.ttlInSeconds ?? 1;
  reply.header('Retry-After', String(retry));
  throw new FindableError('RATE_LIMITED', `Too many ${what}; retry in ${retry} s.`, { retryAfterSeconds: retry });
}

/** Needs @fastify/rate-limit registered on `app` (with global: false). */
export function createRateLimiters(app: FastifyInstance, limits: ServerLimits): RateLimiters {
  const tokenIds = new WeakMap<FastifyRequest, number>();
  const ip = limiter(app, limits.perIpMax, limits.rateWindowMs, (r) => `ip:${r.ip}`);
  const search = limiter(app, limits.searchPerIpMax, limits.rateWindowMs, (r) => `search:${r.ip}`);
  const token = limiter(app, limits.writesPerTokenMax, limits.rateWindowMs, (r) => `token:${tokenIds.get(r)}`);
  return {
    perIp: (request, reply) => enforce(ip, request, reply, 'requests from this address'),
    searchPerIp: (request, reply) => enforce(search, request, reply, 'searches from this address'),
    writesPerToken: (request, reply, tokenId) => {
      tokenIds.set(request, tokenId);
      return enforce(token, request, reply, 'writes with this token');
    },
  };
}
