import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Mt19937 } from '../core/index/rng';
import { loadCodebookFile } from './codebook-loader';
import { exportLiveIndex } from './export-index';
import { SqliteRegistryStore } from './store/sqlite-store';
import { unitVector, writeTestCodebookFile } from './test-support';

describe('export-index', () => {
  it('writes the live index as a faiss file that faiss reads and searches like we do', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'findable-export-'));
    const codebookPath = join(dir, 'codebook.json');
    writeTestCodebookFile(codebookPath);
    const { index, codebook } = loadCodebookFile(codebookPath);
    const store = new SqliteRegistryStore({ dataDir: dir });
    const token = await store.createToken('t', new Uint8Array(32));
    const rng = new Mt19937(9);
    const ids: number[] = [];
    const targets: Float32Array[] = [];
    for (let i = 0; i < 20; i++) {
      const x = unitVector(rng, codebook.d);
      const { listId, code } = index.encodeFeature(x);
      const r = await store.addImage({
        listId,
        code,
        feature: null,
        codebookVersion: codebook.contentHash,
        title: `photo ${i}`,
        creatorName: null,
        creatorUrl: null,
        sha256: i.toString(16).padStart(64, '0'),
        ownerTokenId: token.id,
      });
      ids.push(r.record.id);
      targets.push(index.vectorIndex.reconstruct(x, 1));
    }
    await store.deleteImage(ids[3]);
    await store.close();

    const out = join(dir, 'live.index');
    const report = await exportLiveIndex({ dataDir: dir, codebookPath, out });
    expect(report.indexed).toBe(19);
    // faiss (the independent reference) reads the file; each registration's reconstruction finds itself.
    const queries = targets.map((t) => Array.from(t));
    const py = `
import faiss, json, sys, numpy as np
index = faiss.read_index(sys.argv[1])
faiss.extract_index_ivf(index).nprobe = 4
q = np.array(json.loads(sys.stdin.read()), dtype='float32')
D, I = index.search(q, 1)
print(json.dumps({'ntotal': index.ntotal, 'ids': I[:, 0].tolist()}))`;
    const result = JSON.parse(
      execFileSync('/usr/bin/python3', ['-c', py, out], { input: JSON.stringify(queries) }).toString(),
    ) as { ntotal: number; ids: number[] };
    expect(result.ntotal).toBe(19);
    ids.forEach((id, i) => {
      if (i !== 3) expect(result.ids[i]).toBe(id);
    });
    expect(result.ids[3]).not.toBe(ids[3]); // deleted registrations are not exported
  });
});
