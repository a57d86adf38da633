/**
 * The extractor manifest (public/models/extractor.json, written by `npm run models`): which model file,
 * its sha256, and its input/output contract. A codebook names the extractor it was trained for by
 * {id, sha256}; loading a model whose bytes don't match its manifest is refused.
 */
import { FindableError } from '../errors.ts';

export interface ExtractorManifest {
  id: string;
  version?: string;
  /** Model file name, relative to the manifest. */
  file: string;
  /** sha256 of the model file, 64 lowercase hex characters. */
  sha256: string;
  bytes?: number;
  input: { name: string; shape: [string | number, number, number, number] };
  output: { name: string; dim: number };
}

export function parseExtractorManifest(json: unknown, where = 'extractor.json'): ExtractorManifest {
  const m = json as Partial<ExtractorManifest> | null;
  const shape = m?.input?.shape;
  const ok =
    !!m &&
    typeof m.id === 'string' &&
    typeof m.file === 'string' &&
    /^[0-9a-f]{64}$/.test(m.sha256 ?? '') &&
    typeof m.input?.name === 'string' &&
    Array.isArray(shape) &&
    shape.length === 4 &&
    shape[1] === 3 &&
    Number.isInteger(shape[2]) &&
    shape[2] === shape[3] &&
    typeof m.output?.name === 'string' &&
    Number.isInteger(m.output?.dim);
  if (!ok) {
    throw new FindableError(
      'MODEL_INVALID',
      `${where} is not an extractor manifest (id, file, sha256, input {name, shape [N,3,S,S]}, output {name, dim}).`,
      { where },
    );
  }
  return m as ExtractorManifest;
}

/** Input size S of the extractor. */
export function manifestInputSize(m: ExtractorManifest): number {
  return m.input.shape[2];
}
