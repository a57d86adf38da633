/**
 * Issue 6's end-to-end check, against the real server on loopback with the shipped extractor and codebook:
 * activate 20 corpus photos with the CLI, register their codes, then search by image with transformed
 * copies (jpeg50, crop0.5, contrast2) and with 20 unrelated distractors. Prints the hit rate, the false
 * matches and the distance distributions (used to calibrate the copy threshold, docs/server.md).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { runActivate } from '../cli/activate';
import { applyTransform, type TransformName } from '../core/eval/transforms.node';
import { decodeImage } from '../core/image/decode.node';
import { buildApp } from './app';
import { SqliteRegistryStore } from './store/sqlite-store';
import { fakeDist } from './test-support';
import { createToken } from './tokens';

const root = join(import.meta.dirname, '..', '..');
const corpus = join(root, '..', 'shared', 'corpus');
const NEGATIVES = 100;

/** min / median / max, for the log. */
function quantiles(v: number[]): string {
  const s = [...v].sort((a, b) => a - b);
  return s.length
    ? `min ${s[0].toFixed(3)} median ${s[s.length >> 1].toFixed(3)} max ${s[s.length - 1].toFixed(3)}`
    : 'none';
}

describe('copies of activated photos are found through the real server', () => {
  it('finds transformed copies and rejects unrelated images', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'findable-copies-'));
    const inputs = join(dir, 'in');
    const out = join(dir, 'out');
    const photos = readdirSync(join(corpus, 'photos'))
      .filter((f) => f.endsWith('.jpg'))
      .sort()
      .slice(0, 20);
    await Promise.all(
      photos.map(async (p) => {
        const { mkdirSync } = await import('node:fs');
        mkdirSync(inputs, { recursive: true });
        await sharp(join(corpus, 'photos', p))
          .resize(512, 512, { fit: 'inside' })
          .jpeg({ quality: 95 })
          .toFile(join(inputs, p));
      }),
    );
    const summary = await runActivate([inputs], {
      out,
      preset: 'paper',
      format: 'png',
      quality: 95,
      keepMetadata: false,
      force: false,
      threads: 2,
    });
    expect(summary.activated).toBe(20);

    const store = new SqliteRegistryStore({ dataDir: dir });
    const { token } = await createToken(store, 'e2e');
    const app = await buildApp({
      distDir: fakeDist(),
      dataDir: dir,
      store,
      codebookPath: join(root, 'public', 'codebook.json'),
      extractorManifestPath: join(root, 'public', 'models', 'extractor.json'),
      limits: { perIpMax: 100_000, searchPerIpMax: 100_000, writesPerTokenMax: 100_000 },
    });
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const codebook = (await (await fetch(`${base}/api/codebook`)).json()) as { contentHash: string };
      const report = readFileSync(join(out, 'report.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      const registered = new Map<string, number>();
      for (const r of report.filter((l) => l.ok)) {
        const response = await fetch(`${base}/api/images`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            listId: r.listId,
            code: r.code,
            codebookVersion: codebook.contentHash,
            title: r.file.split('/').pop(),
            sha256: createHash('sha256').update(readFileSync(r.output)).digest('hex'),
          }),
        });
        expect(response.status).toBe(201);
        registered.set(r.output, ((await response.json()) as { id: number }).id);
      }

      const search = async (bytes: Buffer) => {
        const form = new FormData();
        form.append('image', new Blob([new Uint8Array(bytes)]), 'query.jpg');
        form.append('nprobe', '16');
        const response = await fetch(`${base}/api/search`, { method: 'POST', body: form });
        expect(response.status).toBe(200);
        return ((await response.json()) as { matches: { id: number; distance: number; decision: string }[] }).matches;
      };

      const results: Record<string, { hits: number; found: number; total: number; distances: number[] }> = {};
      for (const t of ['jpeg50', 'crop0.5', 'contrast2'] as TransformName[]) {
        results[t] = { hits: 0, found: 0, total: 0, distances: [] };
        for (const [output, id] of registered) {
          const img = await decodeImage(new Uint8Array(readFileSync(output)));
          const copy = await applyTransform(t, img, 1);
          const jpeg = await sharp(Buffer.from(copy.data), {
            raw: { width: copy.width, height: copy.height, channels: 3 },
          })
            .jpeg({ quality: 90 })
            .toBuffer();
          const [top] = await search(jpeg);
          results[t].total++;
          if (top?.id === id && top.decision === 'match') results[t].hits++;
          if (top?.id === id) {
            results[t].found++;
            results[t].distances.push(top.distance);
          }
        }
      }
      const distractors = readdirSync(join(corpus, 'distractors', 'd001'))
        .filter((f) => f.endsWith('.jpg'))
        .sort()
        .slice(0, NEGATIVES);
      let falseMatches = 0;
      const negatives: number[] = [];
      for (const f of distractors) {
        const [top] = await search(readFileSync(join(corpus, 'distractors', 'd001', f)));
        if (top) negatives.push(top.distance);
        if (top?.decision === 'match') falseMatches++;
      }
      const line = Object.entries(results)
        .map(
          ([t, r]) =>
            `${t}: right photo first ${r.found}/${r.total}, decided copy ${r.hits}/${r.total}, true distances ` +
            `${quantiles(r.distances)}`,
        )
        .join(', ');
      console.log(
        `copies found: ${line}; distractors: ${falseMatches}/${distractors.length} false matches, top distances ${quantiles(negatives)}`,
      );
      // Retrieval: the right photo comes first for nearly every copy.
      for (const r of Object.values(results)) expect(r.found).toBeGreaterThanOrEqual(17);
      // Decision at the calibrated threshold: JPEG copies are declared copies, unrelated images are not.
      expect(results.jpeg50.hits).toBeGreaterThanOrEqual(18);
      expect(falseMatches).toBe(0);
    } finally {
      await app.close();
      await store.close();
    }
  }, 300_000);
});
