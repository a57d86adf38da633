import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCodebook } from '../core/codebook/parse.ts';
import { indexFromCodebook, splitStandaloneCode } from '../core/codebook/to-index.ts';
import type { Codebook } from '../core/codebook/types.ts';
import { FindableError } from '../core/errors.ts';
import type { VectorIndex } from '../core/index/types.ts';
import type { ExtractorManifest } from '../core/models/manifest.ts';

/** The codebook shipped with the app (public/codebook.json). */
export const DEFAULT_CODEBOOK = resolve(dirname(fileURLToPath(import.meta.url)), '../../public/codebook.json');

async function readSource(source: string): Promise<string> {
  if (/^https?:\/\//.test(source)) {
    const response = await fetch(source);
    if (!response.ok) throw new FindableError('IO', `Cannot download the codebook ${source}: HTTP ${response.status}.`);
    return response.text();
  }
  try {
    return readFileSync(source, 'utf8');
  } catch (e) {
    throw new FindableError('IO', `Cannot read the codebook ${source}: ${(e as Error).message}`);
  }
}

export interface CodebookQuantizer {
  codebook: Codebook;
  quantizer: VectorIndex;
  splitCode(code: Uint8Array): { listId: number | null; code: Uint8Array };
}

/** Loads a codebook from a file or URL, refusing one made for another extractor. */
export async function loadCodebookQuantizer(
  source: string | undefined,
  manifest: ExtractorManifest,
): Promise<CodebookQuantizer> {
  const codebook = parseCodebook(await readSource(source ?? DEFAULT_CODEBOOK), {
    expectedExtractor: { id: manifest.id, sha256: manifest.sha256 },
  });
  const quantizer = indexFromCodebook(codebook);
  return { codebook, quantizer, splitCode: (code) => splitStandaloneCode(quantizer, code) };
}
