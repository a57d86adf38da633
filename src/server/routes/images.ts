/**
 * The registry: POST /api/images (register, Bearer), GET /api/images/:id (public metadata),
 * DELETE /api/images/:id (owner only). A registration is acknowledged only once the store has made it
 * durable; the live index is updated right after.
 */
import type { FastifyPluginAsync } from 'fastify';
import { FindableError } from '../../core/errors';
import { requireToken } from '../auth';
import type { ImageRecord } from '../store/registry-store';
import type { RegistryContext } from './context';
import {
  checkCodebookVersion,
  checkUrl,
  decodeBase64,
  idParamSchema,
  PRINTABLE,
  requireIndex,
  toFeature,
} from './validate';

interface RegisterBody {
  listId?: number;
  code?: string;
  feature?: number[];
  codebookVersion: string;
  title: string;
  creatorName?: string;
  creatorUrl?: string;
  sha256: string;
}

const registerSchema = {
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['codebookVersion', 'title', 'sha256'],
    anyOf: [{ required: ['code'] }, { required: ['feature'] }],
    properties: {
      listId: { type: 'integer', minimum: 0, maximum: 2 ** 31 - 1 },
      code: { type: 'string', minLength: 1, maxLength: 8192 },
      feature: { type: 'array', minItems: 1, maxItems: 4096, items: { type: 'number' } },
      codebookVersion: { type: 'string', minLength: 1, maxLength: 128 },
      title: { type: 'string', minLength: 1, maxLength: 300, pattern: PRINTABLE },
      creatorName: { type: 'string', minLength: 1, maxLength: 200, pattern: PRINTABLE },
      creatorUrl: { type: 'string', minLength: 1, maxLength: 2048 },
      sha256: { type: 'string', pattern: '^[0-9a-fA-F]{64}$' },
    },
  },
} as const;

/** What anyone may read about a registration (never the owner, the code or the feature). */
export function publicImage(image: ImageRecord) {
  return {
    id: image.id,
    title: image.title,
    creatorName: image.creatorName,
    creatorUrl: image.creatorUrl,
    sha256: image.sha256,
    codebookVersion: image.codebookVersion,
    createdAt: new Date(image.createdAt).toISOString(),
  };
}

export const imageRoutes: FastifyPluginAsync<RegistryContext> = async (app, ctx) => {
  const onRequest = requireToken(ctx.store, ctx.limiters);
  app.decorateRequest('token', null);

  app.post<{ Body: RegisterBody }>('/api/images', { schema: registerSchema, onRequest }, async (request, reply) => {
    const token = request.token!;
    const index = requireIndex(ctx);
    const body = request.body;
    checkCodebookVersion(index, body.codebookVersion);

    let feature: Float32Array | null = null;
    let listId: number | null = body.listId ?? null;
    let code: Uint8Array;
    if (body.feature !== undefined) feature = toFeature('feature', body.feature, index.d);
    if (body.code !== undefined) {
      code = decodeBase64('code', body.code);
      index.checkCode(listId, code);
    } else {
      ({ listId, code } = index.encodeFeature(feature!));
    }
    const title = body.title.trim();
    if (!title) throw new FindableError('INVALID_ARGUMENT', 'title is blank.');
    const creatorUrl = body.creatorUrl === undefined ? null : checkUrl('creatorUrl', body.creatorUrl);

    const { record, created } = await ctx.store.addImage({
      listId,
      code,
      feature,
      codebookVersion: body.codebookVersion,
      title,
      creatorName: body.creatorName?.trim() || null,
      creatorUrl,
      sha256: body.sha256.toLowerCase(),
      ownerTokenId: token.id,
    });
    if (created) index.addCodes([{ id: record.id, listId, code }]);
    return reply.status(created ? 201 : 200).send({ id: record.id });
  });

  app.get<{ Params: { id: string } }>('/api/images/:id', { schema: { params: idParamSchema } }, async (request) => {
    const image = await ctx.store.getImage(Number(request.params.id));
    if (!image) throw new FindableError('NOT_FOUND', `No image ${request.params.id}.`);
    return publicImage(image);
  });

  app.delete<{ Params: { id: string } }>(
    '/api/images/:id',
    { schema: { params: idParamSchema }, onRequest },
    async (request, reply) => {
      const token = request.token!;
      const id = Number(request.params.id);
      const image = await ctx.store.getImage(id);
      if (!image) throw new FindableError('NOT_FOUND', `No image ${id}.`);
      if (image.ownerTokenId !== token.id) {
        throw new FindableError('FORBIDDEN', 'Only the token that registered this image may delete it.');
      }
      await ctx.store.deleteImage(id);
      ctx.index?.remove(id);
      return reply.status(204).send();
    },
  );
};
