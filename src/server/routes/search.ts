/**
 * POST /api/search: the registered originals a suspected copy may come from. Either JSON with the
 * copy's feature (d floats, from the same extractor as the codebook), or multipart/form-data with the
 * image itself in field `image` (optional fields `k`, `nprobe`): the server decodes it and runs the
 * extractor. The answer lists the k nearest registrations by the quantizer's (asymmetric) squared L2
 * distance, each with a decision: 'match' at or below the server's threshold, 'no-match' above it.
 */
import fastifyMultipart from '@fastify/multipart';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { FindableError } from '../../core/errors';
import { decodeImage } from '../../core/image/decode.node.ts';
import type { LiveIndex } from '../live-index';
import type { RegistryContext } from './context';
import { publicImage } from './images';
import { requireIndex, toFeature } from './validate';

interface SearchBody {
  feature: number[];
  k?: number;
  nprobe?: number;
}

export async function searchFeature(
  ctx: RegistryContext,
  index: LiveIndex,
  feature: Float32Array,
  k: number,
  nprobe: number,
) {
  if (index.nlist > 0 && nprobe > index.nlist) {
    throw new FindableError('INVALID_ARGUMENT', `nprobe must be from 1 to ${index.nlist}.`, { nprobe });
  }
  const found = index.search(feature, k, nprobe);
  const records = await ctx.store.getImages(found.map((m) => m.id));
  const matches = [];
  for (const m of found) {
    const record = records.get(m.id);
    if (!record) continue; // deleted between the search and the look-up
    matches.push({
      ...publicImage(record),
      distance: m.distance,
      decision: m.distance <= ctx.matchThreshold ? ('match' as const) : ('no-match' as const),
    });
  }
  return { codebookVersion: index.codebookVersion, k, nprobe, threshold: ctx.matchThreshold, matches };
}

function smallInt(name: string, value: string | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const n = /^[1-9][0-9]{0,5}$/.test(value) ? Number(value) : Number.NaN;
  if (!(n >= 1 && n <= max)) {
    throw new FindableError('INVALID_ARGUMENT', `${name} must be an integer from 1 to ${max}.`, { [name]: value });
  }
  return n;
}

/** Reads the multipart form: exactly one file, in field `image`, and the small fields k and nprobe. */
async function readImageForm(request: FastifyRequest): Promise<{ bytes: Buffer; fields: Record<string, string> }> {
  let bytes: Buffer | undefined;
  const fields: Record<string, string> = {};
  for await (const part of request.parts()) {
    if (part.type === 'file') {
      const data = await part.toBuffer(); // throws 413 over the file size limit
      if (part.fieldname !== 'image' || bytes) {
        throw new FindableError('INVALID_ARGUMENT', 'Send exactly one file, in the form field "image".');
      }
      bytes = data;
    } else if (part.fieldname === 'k' || part.fieldname === 'nprobe') {
      fields[part.fieldname] = String(part.value);
    } else {
      throw new FindableError('INVALID_ARGUMENT', `Unknown form field "${part.fieldname}" (image, k, nprobe).`);
    }
  }
  if (!bytes) throw new FindableError('INVALID_ARGUMENT', 'The form has no file in field "image".');
  return { bytes, fields };
}

export const searchRoutes: FastifyPluginAsync<RegistryContext> = async (app, ctx) => {
  await app.register(fastifyMultipart, {
    limits: { fileSize: ctx.limits.uploadBytes, files: 1, fields: 2, fieldSize: 64, parts: 3, headerPairs: 50 },
  });

  const jsonSchema = {
    type: 'object',
    additionalProperties: false,
    required: ['feature'],
    properties: {
      feature: { type: 'array', minItems: 1, maxItems: 4096, items: { type: 'number' } },
      k: { type: 'integer', minimum: 1, maximum: ctx.limits.maxK },
      nprobe: { type: 'integer', minimum: 1, maximum: 65536 },
    },
  };
  let imageSearches = 0;

  app.post<{ Body: SearchBody | undefined }>(
    '/api/search',
    { schema: { body: { content: { 'application/json': { schema: jsonSchema } } } } },
    async (request, reply) => {
      await ctx.limiters.searchPerIp(request, reply);
      const index = requireIndex(ctx);
      if (!request.isMultipart()) {
        const body = request.body as SearchBody;
        const feature = toFeature('feature', body.feature, index.d);
        return searchFeature(ctx, index, feature, body.k ?? 10, body.nprobe ?? ctx.defaultNprobe);
      }
      const extractor = ctx.extractor;
      if (!extractor) {
        throw new FindableError(
          'UNAVAILABLE',
          'Search by image needs the extractor model (public/models/extractor.json); send a feature as JSON instead.',
        );
      }
      if (imageSearches >= ctx.limits.maxImageSearches) {
        reply.header('Retry-After', '1');
        throw new FindableError('UNAVAILABLE', 'The server is busy with other image searches; retry in a moment.');
      }
      imageSearches++;
      try {
        const { bytes, fields } = await readImageForm(request);
        const k = smallInt('k', fields.k, 10, ctx.limits.maxK);
        const nprobe = smallInt('nprobe', fields.nprobe, ctx.defaultNprobe, 65536);
        const image = await decodeImage(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), {
          maxPixels: ctx.limits.uploadPixels,
        });
        const feature = await extractor.extract(image);
        return await searchFeature(ctx, index, toFeature('feature', Array.from(feature), index.d), k, nprobe);
      } finally {
        imageSearches--;
      }
    },
  );
};
