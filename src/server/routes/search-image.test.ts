import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isFindableError } from '../../core/errors';
import { decodeImage } from '../../core/image/decode.node.ts';
import { buildApp } from '../app';
import { type Extractor, loadOnnxExtractor } from '../extractor';
import type { ServerLimits } from '../limits';
import { SqliteRegistryStore } from '../store/sqlite-store';
import { fakeDist, testCodebook, writeTestCodebookFile } from '../test-support';
import { createToken } from '../tokens';

// A tiny stand-in for public/models/extractor.onnx: the ONNX fixture small_cnn ([N,3,16,16] -> [N,5]).
const here = dirname(fileURLToPath(import.meta.url));
const onnxFixture = join(here, '..', '..', 'core', 'onnx', '__fixtures__', 'small_cnn.onnx');
const images = join(here, '..', '..', 'core', 'image', '__fixtures__');

function writeManifest(dir: string): { path: string; id: string; sha256: string } {
  copyFileSync(onnxFixture, join(dir, 'model.onnx'));
  const sha256 = createHash('sha256')
    .update(readFileSync(join(dir, 'model.onnx')))
    .digest('hex');
  const manifest = {
    id: 'small-cnn-test',
    file: 'model.onnx',
    sha256,
    input: { name: 'x', shape: ['N', 3, 16, 16] },
    output: { name: 'y', dim: 5 },
  };
  writeFileSync(join(dir, 'extractor.json'), JSON.stringify(manifest));
  return { path: join(dir, 'extractor.json'), id: manifest.id, sha256 };
}

function form(file: Buffer | null, field = 'image', extra: Record<string, string> = {}): FormData {
  const fd = new FormData();
  for (const [k, v] of Object.entries(extra)) fd.append(k, v);
  if (file) fd.append(field, new Blob([new Uint8Array(file)]), 'upload.bin');
  return fd;
}

describe('search by image (multipart)', () => {
  let dir: string;
  let manifest: ReturnType<typeof writeManifest>;
  let extractor: Extractor;
  const apps: { close(): Promise<unknown> }[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'findable-extractor-'));
    manifest = writeManifest(dir);
    extractor = await loadOnnxExtractor(manifest.path);
  });
  afterAll(async () => {
    for (const a of apps) await a.close();
  });

  async function setup(limits: Partial<ServerLimits> = {}) {
    const dataDir = mkdtempSync(join(tmpdir(), 'findable-api-'));
    const store = new SqliteRegistryStore({ dataDir });
    const { token } = await createToken(store, 'alice');
    const cb = testCodebook({ d: 5, nlist: 2, M: 5, extractor: { id: manifest.id, sha256: manifest.sha256 } });
    const app = await buildApp({ distDir: fakeDist(), dataDir, store, codebook: cb, extractor, limits });
    apps.push({
      close: async () => {
        await app.close();
        await store.close();
      },
    });
    return { app, token, version: cb.served.version };
  }

  it('finds the registered original from the uploaded copy, and refuses bad uploads with the right 4xx', async () => {
    const { app, token, version } = await setup({ uploadBytes: 200_000 });
    const photo = readFileSync(join(images, 'photo-320x240.jpg'));
    const feature = await extractor.extract(await decodeImage(new Uint8Array(photo)));
    expect(feature.length).toBe(5);
    const reg = await app.inject({
      method: 'POST',
      url: '/api/images',
      headers: { authorization: `Bearer ${token}` },
      payload: { feature: Array.from(feature), codebookVersion: version, title: 'Original', sha256: 'd'.repeat(64) },
    });
    expect(reg.statusCode, reg.body).toBe(201);

    const found = await app.inject({ method: 'POST', url: '/api/search', payload: form(photo, 'image', { k: '1' }) });
    expect(found.statusCode, found.body).toBe(200);
    expect(found.json().matches[0]).toMatchObject({ id: reg.json().id, title: 'Original' });

    const bad: [string, FormData, number, string][] = [
      ['truncated JPEG', form(readFileSync(join(images, 'bad', 'truncated.jpg'))), 400, 'IMAGE_CORRUPT'],
      ['text file', form(readFileSync(join(images, 'bad', 'text.jpg'))), 415, 'IMAGE_UNSUPPORTED'],
      ['empty file', form(Buffer.alloc(0)), 400, 'IMAGE_EMPTY'],
      ['20000 x 20000 PNG', form(readFileSync(join(images, 'bad', 'huge-20000x20000.png'))), 413, 'IMAGE_TOO_LARGE'],
      ['file over the upload limit', form(Buffer.alloc(300_000, 1)), 413, 'PAYLOAD_TOO_LARGE'],
      ['wrong field name', form(photo, 'file'), 400, 'INVALID_ARGUMENT'],
      ['no file', form(null, 'image', { k: '1' }), 400, 'INVALID_ARGUMENT'],
      ['bad k', form(photo, 'image', { k: '0' }), 400, 'INVALID_ARGUMENT'],
      ['unknown field', form(photo, 'image', { owner: 'x' }), 400, 'INVALID_ARGUMENT'],
    ];
    for (const [what, payload, status, code] of bad) {
      const r = await app.inject({ method: 'POST', url: '/api/search', payload });
      expect({ what, status: r.statusCode, code: r.json().code }).toEqual({ what, status, code });
    }
    const again = await app.inject({ method: 'POST', url: '/api/search', payload: form(photo) });
    expect(again.statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/api/health' })).statusCode).toBe(200);
  });

  it('answers 503 without an extractor, and refuses a codebook made for another extractor at start-up', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'findable-api-'));
    const app = await buildApp({ distDir: fakeDist(), dataDir, codebook: testCodebook(), extractor: null });
    apps.push(app);
    const photo = readFileSync(join(images, 'photo-64x48.png'));
    const r = await app.inject({ method: 'POST', url: '/api/search', payload: form(photo) });
    expect([r.statusCode, r.json().code]).toEqual([503, 'UNAVAILABLE']);

    const codebookPath = join(dir, 'other-codebook.json');
    writeTestCodebookFile(codebookPath, { d: 5, nlist: 2, M: 5 }); // made for TEST_EXTRACTOR, not small-cnn
    await expect(
      buildApp({ distDir: fakeDist(), dataDir, codebookPath, extractorManifestPath: manifest.path }),
    ).rejects.toSatisfy((e: unknown) => isFindableError(e, 'CODEBOOK_EXTRACTOR_MISMATCH'));
  });

  it('refuses a model whose bytes do not match its manifest', async () => {
    const other = mkdtempSync(join(tmpdir(), 'findable-extractor-'));
    const m = writeManifest(other);
    writeFileSync(join(other, 'model.onnx'), Buffer.from('not the model'));
    await expect(loadOnnxExtractor(m.path)).rejects.toSatisfy((e: unknown) => isFindableError(e, 'MODEL_INVALID'));
  });
});
