/**
 * Loads the codebook the server serves and indexes with: the file's bytes are served as they are; the
 * parts are parsed and validated by src/core/codebook and turned into an empty index of src/core/index
 * (fromParts constructors only: no math here).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseCodebook } from '../core/codebook/parse';
import { indexFromCodebook } from '../core/codebook/to-index';
import type { Codebook, ExtractorRef } from '../core/codebook/types';
import { FindableError } from '../core/errors';
import { QuantizerLiveIndex } from './live-index';
import type { ServedCodebook } from './routes/context';

export interface LoadedCodebook {
  served: ServedCodebook;
  index: QuantizerLiveIndex;
  codebook: Codebook;
}

/**
 * Reads, validates and indexes a codebook file. Its version (what registrations name in
 * codebookVersion) is the codebook's content hash; its ETag is the SHA-256 of the file's bytes.
 */
export function loadCodebookFile(path: string, expectedExtractor?: ExtractorRef): LoadedCodebook {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new FindableError('IO', `Cannot read the codebook ${path}: ${(e as Error).message}`, { path });
  }
  const codebook = parseCodebook(bytes.toString('utf8'), { expectedExtractor });
  const etag = `"sha256-${createHash('sha256').update(bytes).digest('hex')}"`;
  const index = new QuantizerLiveIndex(indexFromCodebook(codebook), codebook.contentHash);
  return { served: { version: codebook.contentHash, bytes, etag }, index, codebook };
}
