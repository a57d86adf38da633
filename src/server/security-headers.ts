import type { FastifyReply } from 'fastify';

/**
 * Cross-origin isolation (COOP + COEP) lets the browser use SharedArrayBuffer, i.e. threaded wasm for
 * onnxruntime-web. Everything the app loads is same-origin, so require-corp costs nothing.
 */
export function applySecurityHeaders(reply: FastifyReply): void {
  reply.header('Cross-Origin-Opener-Policy', 'same-origin');
  reply.header('Cross-Origin-Embedder-Policy', 'require-corp');
  reply.header('Cross-Origin-Resource-Policy', 'same-origin');
  reply.header('X-Content-Type-Options', 'nosniff');
  reply.header('Referrer-Policy', 'no-referrer');
}
