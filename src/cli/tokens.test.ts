import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SqliteRegistryStore } from '../server/store/sqlite-store';
import { authenticate } from '../server/tokens';
import { buildProgram, main } from './main';

afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

async function run(args: string[]): Promise<{ out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  await main(['node', 'findable', ...args]);
  vi.restoreAllMocks();
  return { out: out.join('\n'), err: err.join('\n') };
}

describe('findable tokens', () => {
  it('creates a token printed once, stores only its hash, lists and revokes it', async () => {
    const data = mkdtempSync(join(tmpdir(), 'findable-cli-'));
    const created = await run(['tokens', 'create', '--name', 'laptop', '--data', data]);
    const token = created.out.trim();
    expect(token).toMatch(/^fdb_[A-Za-z0-9_-]{43}$/);
    expect(created.err).toContain('shown only this once');

    const store = new SqliteRegistryStore({ dataDir: data });
    expect(await authenticate(store, `Bearer ${token}`)).toMatchObject({ name: 'laptop', revokedAt: null });
    // The secret is nowhere in the database file's tables.
    const raw = (store as unknown as { db: import('better-sqlite3').Database }).db
      .prepare('SELECT * FROM tokens')
      .all();
    expect(JSON.stringify(raw)).not.toContain(token.slice(4));
    await store.close();

    const listed = await run(['tokens', 'list', '--data', data]);
    expect(listed.out).toMatch(/^1\tlaptop\t\d{4}-.*\tvalid$/);
    expect(listed.out).not.toContain(token);

    const dup = await run(['tokens', 'create', '--name', 'laptop', '--data', data]);
    expect(dup.err).toContain('already exists');
    expect(process.exitCode).toBe(1);
    process.exitCode = undefined;

    const revoked = await run(['tokens', 'revoke', 'laptop', '--data', data]);
    expect(revoked.out).toContain('revoked');
    const again = new SqliteRegistryStore({ dataDir: data });
    expect(await authenticate(again, `Bearer ${token}`)).toBeUndefined();
    await again.close();

    const unknown = await run(['tokens', 'revoke', '42', '--data', data]);
    expect(unknown.err).toContain('No valid token');
    expect(process.exitCode).toBe(1);
  });

  it('has the serve options the server needs', () => {
    const serve = buildProgram().commands.find((c) => c.name() === 'serve')!;
    expect(serve.options.map((o) => o.long)).toEqual(
      expect.arrayContaining(['--port', '--host', '--data', '--dist', '--codebook']),
    );
  });
});
