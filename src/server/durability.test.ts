/**
 * Durability against the real server process over loopback: register continuously, SIGKILL the server
 * mid-stream, restart it on the same data directory, and check that every acknowledged registration is
 * intact (metadata and code bytes) and searchable. Every loop is bounded in count and in time.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Mt19937 } from '../core/index/rng';
import { loadCodebookFile } from './codebook-loader';
import { SqliteRegistryStore } from './store/sqlite-store';
import { unitVector, writeTestCodebookFile } from './test-support';
import { createToken } from './tokens';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const children = new Set<ChildProcess>();
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

function startServer(
  dataDir: string,
  distDir: string,
  codebook: string,
): Promise<{ child: ChildProcess; base: string }> {
  const child = spawn(
    process.execPath,
    [
      join(repoRoot, 'bin', 'findable.mjs'),
      'serve',
      ...['--port', '0', '--host', '127.0.0.1', '--data', dataDir, '--dist', distDir, '--codebook', codebook],
      // Registration only: no search by image, so no extractor (the test codebook is not the shipped one's).
      ...['--extractor', join(dataDir, 'no-extractor.json')],
      ...['--max-per-ip', '100000', '--max-searches-per-ip', '100000', '--max-writes-per-token', '100000'],
    ],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.add(child);
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server did not start in 30 s:\n${out}`)), 30_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /Findable is running at http:\/\/(?:localhost|127\.0\.0\.1):(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, base: `http://127.0.0.1:${m[1]}` });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code}) before listening:\n${out}`));
    });
  });
}

interface Sent {
  i: number;
  listId: number | null;
  code: string;
  feature: Float32Array;
  sha256: string;
}

describe('durability', () => {
  it('keeps every acknowledged registration through a SIGKILL, intact and searchable', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'findable-durable-'));
    const distDir = mkdtempSync(join(tmpdir(), 'findable-dist-'));
    writeFileSync(join(distDir, 'index.html'), '<!doctype html><div id="root"></div>');
    const codebookPath = join(dataDir, 'codebook.json');
    const version = writeTestCodebookFile(codebookPath);
    const setupStore = new SqliteRegistryStore({ dataDir });
    const { token } = await createToken(setupStore, 'durability');
    await setupStore.close();

    const index = loadCodebookFile(codebookPath).index; // the server's quantizer: encodes like a browser would
    const rng = new Mt19937(2024);
    const first = await startServer(dataDir, distDir, codebookPath);

    const acked = new Map<number, Sent>();
    const failed: Sent[] = [];
    let next = 0;
    let stop = false;
    const MAX = 5000;
    const CONCURRENCY = 4;
    const t0 = performance.now();
    let tAck = t0;
    const worker = async () => {
      while (!stop && next < MAX) {
        const i = next++;
        const feature = unitVector(rng);
        const { listId, code } = index.encodeFeature(feature);
        const sent: Sent = {
          i,
          listId,
          code: Buffer.from(code).toString('base64'),
          feature,
          sha256: i.toString(16).padStart(64, '0'),
        };
        try {
          const r = await fetch(`${first.base}/api/images`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: JSON.stringify({
              listId,
              code: sent.code,
              codebookVersion: version,
              title: `durable ${i}`,
              sha256: sent.sha256,
            }),
            signal: AbortSignal.timeout(10_000),
          });
          if (r.status !== 201) throw new Error(`status ${r.status}: ${await r.text()}`);
          acked.set((await r.json()).id, sent);
          tAck = performance.now();
        } catch {
          failed.push(sent);
          return; // the server is gone: this worker is done
        }
      }
    };
    const workers = Array.from({ length: CONCURRENCY }, worker);
    // Kill mid-stream: after enough acknowledgements or 2 s, whichever first (bounded).
    const killDeadline = performance.now() + 2000;
    while (acked.size < 200 && performance.now() < killDeadline) await new Promise((r) => setTimeout(r, 10));
    first.child.kill('SIGKILL');
    const exited = new Promise((r) => first.child.once('exit', r));
    await Promise.all(workers);
    stop = true;
    await exited;
    const seconds = (tAck - t0) / 1000;
    const rate = acked.size / seconds;
    console.log(
      `durability: ${acked.size} registrations acknowledged in ${seconds.toFixed(2)} s ` +
        `(${rate.toFixed(0)}/s, ${CONCURRENCY} concurrent, group commit, one fsync per batch); ${failed.length} in flight at SIGKILL`,
    );
    expect(acked.size).toBeGreaterThan(20);

    const tRestart = performance.now();
    const second = await startServer(dataDir, distDir, codebookPath);
    console.log(`durability: restart to listening in ${((performance.now() - tRestart) / 1000).toFixed(2)} s`);
    try {
      const entries = [...acked];
      for (let b = 0; b < entries.length; b += 8) {
        await Promise.all(
          entries.slice(b, b + 8).map(async ([id, sent]) => {
            const r = await fetch(`${second.base}/api/images/${id}`);
            expect(r.status, `image ${id}`).toBe(200);
            expect(await r.json()).toMatchObject({ id, title: `durable ${sent.i}`, sha256: sent.sha256 });
            const s = await fetch(`${second.base}/api/search`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ feature: Array.from(sent.feature), k: 1 }),
            });
            expect((await s.json()).matches[0]?.id, `search for image ${id}`).toBe(id);
          }),
        );
      }
      // Requests cut by the kill were never acknowledged: each is either absent or stored intact.
      for (const sent of failed) {
        const retry = await fetch(`${second.base}/api/images`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            listId: sent.listId,
            code: sent.code,
            codebookVersion: version,
            title: `durable ${sent.i}`,
            sha256: sent.sha256,
          }),
        });
        expect([200, 201]).toContain(retry.status);
      }
    } finally {
      second.child.kill('SIGTERM');
      await new Promise((r) => second.child.once('exit', r));
    }

    // The code bytes themselves are intact.
    const store = new SqliteRegistryStore({ dataDir });
    for (const [id, sent] of acked) {
      const record = await store.getImage(id);
      expect(Buffer.from(record!.code!).toString('base64')).toBe(sent.code);
      expect(record!.listId).toBe(sent.listId);
    }
    expect(await store.countImages()).toBe(acked.size + failed.length);
    await store.close();
  }, 90_000);
});
