/**
 * `findable export-index`: the live index (every registration in the store, under the served codebook)
 * as a faiss index file, so the people who run copy detection with faiss can search it themselves.
 */
import { writeFileSync } from 'node:fs';
import { indexToFaiss } from '../core/faiss/from-quantizer';
import { writeFaissIndex } from '../core/faiss/write-index';
import { loadCodebookFile } from './codebook-loader';
import { type RebuildReport, rebuildLiveIndex } from './live-index';
import { SqliteRegistryStore } from './store/sqlite-store';

export async function exportLiveIndex(options: {
  dataDir: string;
  codebookPath: string;
  out: string;
}): Promise<RebuildReport> {
  const { index } = loadCodebookFile(options.codebookPath);
  const store = new SqliteRegistryStore({ dataDir: options.dataDir });
  try {
    const report = await rebuildLiveIndex(store, index);
    writeFileSync(options.out, writeFaissIndex(indexToFaiss(index.vectorIndex)));
    return report;
  } finally {
    await store.close();
  }
}
