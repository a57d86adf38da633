import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { isFindableError } from '../../core/errors';
import { hashToken } from '../tokens';
import type { NewImage } from './registry-store';
import { DATABASE_FILE, SCHEMA_VERSION, SqliteRegistryStore } from './sqlite-store';

const open: SqliteRegistryStore[] = [];
function tempStore(dir = mkdtempSync(join(tmpdir(), 'findable-store-'))) {
  const store = new SqliteRegistryStore({ dataDir: dir });
  open.push(store);
  return { store, dir };
}
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});

function image(ownerTokenId: number, i: number, extra: Partial<NewImage> = {}): NewImage {
  return {
    listId: i % 7,
    code: Uint8Array.from({ length: 8 }, (_, j) => (i * 31 + j) & 255),
    feature: null,
    codebookVersion: 'cb-1',
    title: `photo ${i}`,
    creatorName: 'Ada',
    creatorUrl: 'https://example.org/ada',
    sha256: i.toString(16).padStart(64, '0'),
    ownerTokenId,
    ...extra,
  };
}

describe('SqliteRegistryStore', () => {
  it('creates the schema at the current version with WAL and synchronous = FULL', async () => {
    const { store } = tempStore();
    expect(store.schemaVersion).toBe(SCHEMA_VERSION);
    const db = new Database(store.path, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    db.close();
    // synchronous is per connection: read it through the store's own connection.
    const sync = (store as unknown as { db: Database.Database }).db.pragma('synchronous', { simple: true });
    expect(sync).toBe(2); // FULL
  });

  it('round-trips codes and features exactly, and survives reopening', async () => {
    const { store, dir } = tempStore();
    const token = await store.createToken('alice', hashToken('fdb_x'));
    const feature = Float32Array.from({ length: 512 }, (_, i) => Math.sin(i) / 16);
    const a = await store.addImage(image(token.id, 1));
    const b = await store.addImage(image(token.id, 2, { code: null, listId: null, feature }));
    expect(a.created && b.created).toBe(true);
    await store.close();

    const again = tempStore(dir).store;
    const ra = await again.getImage(a.record.id);
    const rb = await again.getImage(b.record.id);
    expect(ra).toEqual(a.record);
    expect(rb!.feature).toEqual(feature);
    expect(rb!.code).toBeNull();
    expect(await again.countImages()).toBe(2);
    expect([...(await again.getImages([rb!.id, 999, ra!.id])).keys()].sort()).toEqual([ra!.id, rb!.id].sort());
  });

  it('is idempotent per (owner, file), never reuses ids after a delete, scans in id order', async () => {
    const { store } = tempStore();
    const t1 = await store.createToken('one', hashToken('fdb_1'));
    const t2 = await store.createToken('two', hashToken('fdb_2'));
    const first = await store.addImage(image(t1.id, 5));
    const retry = await store.addImage(image(t1.id, 5, { title: 'other title' }));
    expect(retry).toEqual({ record: first.record, created: false });
    const otherOwner = await store.addImage(image(t2.id, 5));
    expect(otherOwner.created).toBe(true);

    expect(await store.deleteImage(otherOwner.record.id)).toBe(true);
    expect(await store.deleteImage(otherOwner.record.id)).toBe(false);
    const next = await store.addImage(image(t2.id, 6));
    expect(next.record.id).toBeGreaterThan(otherOwner.record.id);

    for (let i = 10; i < 25; i++) await store.addImage(image(t1.id, i));
    const seen: number[] = [];
    for (let after = 0; ; ) {
      const page = await store.scanIndexRows({ codebookVersion: 'cb-1', codeSize: 8, afterId: after, limit: 4 });
      if (page.count === 0) break;
      seen.push(...page.coded.ids);
      after = page.lastId;
    }
    expect(seen).toEqual([...seen].sort((x, y) => x - y));
    expect(seen.length).toBe(await store.countImages());
    expect(seen).not.toContain(otherOwner.record.id);
  });

  it("scanIndexRows: packs the current codebook's codes, gives the other rows their feature, in id order", async () => {
    const { store } = tempStore();
    const t = await store.createToken('t', hashToken('fdb_t'));
    const feature = Float32Array.from({ length: 16 }, (_, i) => Math.cos(i) / 4);
    // Kinds, by i % 5: 0-2 current code (list i % 7; list null when i % 5 = 2), 3 an older codebook with
    // a feature, 4 a feature only.
    const made = new Map<number, NewImage>();
    for (let i = 0; i < 23; i++) {
      const kind = i % 5;
      const extra: Partial<NewImage> =
        kind === 2
          ? { listId: null }
          : kind === 3
            ? { codebookVersion: 'cb-0', feature: feature.map((x) => x + i) }
            : kind === 4
              ? { code: null, listId: null, feature: feature.map((x) => x - i) }
              : {};
      const { record } = await store.addImage(image(t.id, i, extra));
      made.set(record.id, image(t.id, i, extra));
    }
    const deleted = [...made.keys()][6];
    await store.deleteImage(deleted);
    made.delete(deleted);

    const coded = { ids: [] as number[], lists: [] as number[], codes: [] as number[] };
    const reencode = { ids: [] as number[], features: [] as (Float32Array | null)[] };
    const lastIds: number[] = [];
    for (let after = 0; ; ) {
      const page = await store.scanIndexRows({ codebookVersion: 'cb-1', codeSize: 8, afterId: after, limit: 5 });
      if (page.count === 0) {
        expect(page.lastId).toBe(after);
        break;
      }
      expect(page.count).toBe(page.coded.ids.length + page.reencode.ids.length);
      expect(page.count).toBeLessThanOrEqual(5);
      expect(page.coded.codes).toBeInstanceOf(Uint8Array);
      expect(page.coded.codes.length).toBe(page.coded.ids.length * 8);
      coded.ids.push(...page.coded.ids);
      coded.lists.push(...page.coded.listIds);
      coded.codes.push(...page.coded.codes);
      reencode.ids.push(...page.reencode.ids);
      reencode.features.push(...page.reencode.features);
      lastIds.push(page.lastId);
      after = page.lastId;
    }
    const ids = [...made.keys()]; // insertion order = id order
    const isCoded = (im: NewImage) => im.codebookVersion === 'cb-1' && im.code !== null;
    const want = ids.filter((id) => isCoded(made.get(id)!));
    expect(coded.ids).toEqual(want);
    expect(coded.lists).toEqual(want.map((id) => made.get(id)!.listId ?? -1));
    expect(coded.lists).toContain(-1);
    expect(coded.codes).toEqual(want.flatMap((id) => [...made.get(id)!.code!]));
    expect(reencode.ids).toEqual(ids.filter((id) => !isCoded(made.get(id)!)));
    expect(reencode.features).toEqual(reencode.ids.map((id) => made.get(id)!.feature));
    expect(lastIds).toEqual(ids.filter((_, i) => i % 5 === 4 || i === ids.length - 1));

    // Another served version: every row must be re-encoded, the ones without a feature come with null.
    const other = await store.scanIndexRows({ codebookVersion: 'cb-2', codeSize: 8, afterId: 0, limit: 100 });
    expect(other.coded.ids.length).toBe(0);
    expect([...other.reencode.ids]).toEqual(ids);
    expect(other.reencode.features.filter((f) => f === null).length).toBe(want.length);

    // The ordered variant of the page query (the fallback) reads the same page.
    const stmts = (store as unknown as { stmts: Record<string, { get(p: unknown): unknown }> }).stmts;
    const params = { codeSize: 8, version: 'cb-1', afterId: 0, limit: 100 };
    expect(stmts.indexPageOrdered.get(params)).toEqual(stmts.indexPage.get(params));
  });

  it('scanIndexRows: a current code of the wrong size is refused with its id', async () => {
    const { store } = tempStore();
    const t = await store.createToken('t', hashToken('fdb_t'));
    await store.addImage(image(t.id, 1));
    const bad = await store.addImage(image(t.id, 2, { code: new Uint8Array(7) }));
    const scan = store.scanIndexRows({ codebookVersion: 'cb-1', codeSize: 8, afterId: 0, limit: 10 });
    await expect(scan).rejects.toSatisfy(
      (e: unknown) => isFindableError(e, 'SHAPE_MISMATCH') && e.details?.id === bad.record.id,
    );
    // Under another codebook the same row is only a row to re-encode.
    const other = await store.scanIndexRows({ codebookVersion: 'cb-2', codeSize: 8, afterId: 0, limit: 10 });
    expect(other.reencode.ids.length).toBe(2);
  });

  it('group-commits concurrent registrations: duplicates resolve to one record, a bad one fails alone', async () => {
    const { store, dir } = tempStore();
    const t = await store.createToken('t', hashToken('fdb_t'));
    const attempts = [
      ...Array.from({ length: 40 }, (_, i) => store.addImage(image(t.id, i))),
      store.addImage(image(t.id, 3)), // same owner and file as #3, in the same batch
      store.addImage(image(9999, 41)), // unknown owner: foreign key violation
    ];
    const settled = await Promise.allSettled(attempts);
    expect(settled.slice(0, 41).every((r) => r.status === 'fulfilled')).toBe(true);
    expect(settled[41].status).toBe('rejected');
    const dup = (settled[40] as PromiseFulfilledResult<{ record: { id: number }; created: boolean }>).value;
    const orig = (settled[3] as PromiseFulfilledResult<{ record: { id: number }; created: boolean }>).value;
    expect([dup.created, dup.record.id]).toEqual([false, orig.record.id]);
    await store.close();
    expect(await tempStore(dir).store.countImages()).toBe(40);
  });

  it('finds tokens by hash only while valid; names are unique among valid tokens', async () => {
    const { store } = tempStore();
    const t = await store.createToken('ci', hashToken('fdb_secret'));
    expect(await store.findTokenByHash(hashToken('fdb_secret'))).toEqual(t);
    expect(await store.findTokenByHash(hashToken('fdb_other'))).toBeUndefined();
    await expect(store.createToken('ci', hashToken('fdb_secret2'))).rejects.toSatisfy((e: unknown) =>
      isFindableError(e, 'INVALID_ARGUMENT'),
    );
    const revoked = await store.revokeToken('ci');
    expect(revoked?.revokedAt).toBeTypeOf('number');
    expect(await store.findTokenByHash(hashToken('fdb_secret'))).toBeUndefined();
    expect(await store.revokeToken('ci')).toBeUndefined();
    const again = await store.createToken('ci', hashToken('fdb_secret3'));
    expect(await store.revokeToken(again.id)).toMatchObject({ id: again.id });
    expect((await store.listTokens()).map((x) => x.name)).toEqual(['ci', 'ci']);
  });

  it('refuses a database written by a newer Findable', () => {
    const dir = mkdtempSync(join(tmpdir(), 'findable-store-'));
    const db = new Database(join(dir, DATABASE_FILE));
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => tempStore(dir)).toThrow(/newer than this Findable/);
  });
});
