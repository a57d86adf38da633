import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { Mt19937 } from '../../core/index/rng';
import { buildApp } from '../app';
import type { ServerLimits } from '../limits';
import { SqliteRegistryStore } from '../store/sqlite-store';
import { fakeDist, TEST_D, testCodebook, unitVector } from '../test-support';
import { createToken } from '../tokens';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(options: { limits?: Partial<ServerLimits>; codebook?: boolean; matchThreshold?: number } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'findable-api-'));
  const store = new SqliteRegistryStore({ dataDir });
  const alice = (await createToken(store, 'alice')).token;
  const bob = (await createToken(store, 'bob')).token;
  const cb = testCodebook();
  const app = await buildApp({
    distDir: fakeDist(),
    dataDir,
    store,
    codebook: options.codebook === false ? null : cb,
    limits: options.limits,
    matchThreshold: options.matchThreshold,
  });
  cleanups.push(async () => {
    await app.close();
    await store.close();
  });
  return { app, store, alice, bob, index: cb.index, version: cb.served.version, rng: new Mt19937(42) };
}

type Setup = Awaited<ReturnType<typeof setup>>;

function validBody(s: Setup, i: number, feature = unitVector(s.rng)) {
  const { listId, code } = s.index.encodeFeature(feature);
  return {
    feature,
    body: {
      listId,
      code: Buffer.from(code).toString('base64'),
      codebookVersion: s.version,
      title: `Photo ${i}`,
      creatorName: 'Ada',
      creatorUrl: 'https://example.org/ada',
      sha256: i.toString(16).padStart(64, 'a'),
    } as Record<string, unknown>,
  };
}

function register(app: FastifyInstance, token: string | undefined, body: unknown) {
  return app.inject({
    method: 'POST',
    url: '/api/images',
    headers: token ? { authorization: `Bearer ${token}` } : {},
    payload: body as object,
  });
}

function search(app: FastifyInstance, feature: ArrayLike<number>, extra: Record<string, unknown> = {}) {
  return app.inject({ method: 'POST', url: '/api/search', payload: { feature: Array.from(feature), ...extra } });
}

async function expectHealthy(s: Setup) {
  const health = await s.app.inject({ method: 'GET', url: '/api/health' });
  expect(health.statusCode).toBe(200);
  const { body, feature } = validBody(s, 9000 + Math.floor(s.rng.randInt(1000)));
  const ok = await register(s.app, s.alice, body);
  expect(ok.statusCode).toBe(201);
  const found = await search(s.app, feature);
  expect(found.json().matches[0].id).toBe(ok.json().id);
}

describe('registry API', () => {
  it('registers by code or by feature, reads back public metadata, finds each image first by its own feature', async () => {
    const s = await setup({ matchThreshold: 10 });
    const ids: number[] = [];
    const features: Float32Array[] = [];
    for (let i = 0; i < 12; i++) {
      const { body, feature } = validBody(s, i);
      if (i % 2 === 1) {
        delete body.code;
        delete body.listId;
        body.feature = Array.from(feature);
      }
      const r = await register(s.app, s.alice, body);
      expect(r.statusCode, r.body).toBe(201);
      ids.push(r.json().id);
      features.push(feature);
    }
    const got = await s.app.inject({ method: 'GET', url: `/api/images/${ids[3]}` });
    expect(got.json()).toMatchObject({
      id: ids[3],
      title: 'Photo 3',
      creatorName: 'Ada',
      sha256: '3'.padStart(64, 'a'),
    });
    expect(got.json()).not.toHaveProperty('code');
    expect(got.json()).not.toHaveProperty('ownerTokenId');

    for (let i = 0; i < ids.length; i++) {
      const r = await search(s.app, features[i], { k: 3 });
      expect(r.statusCode).toBe(200);
      const { matches } = r.json();
      expect(matches[0]).toMatchObject({ id: ids[i], title: `Photo ${i}`, decision: 'match' });
      expect(matches[0].distance).toBeLessThan(matches[1]?.distance ?? Number.POSITIVE_INFINITY);
    }

    // A retry of the same registration (same token, same file) is idempotent: 200 and the same id.
    const retry = await register(s.app, s.alice, validBody(s, 0, features[0]).body);
    expect(retry.statusCode).toBe(200);
    expect(retry.json()).toEqual({ id: ids[0] });
    expect(s.index.size).toBe(12);
  });

  it('refuses each bad registration with the right 4xx and stays healthy', async () => {
    const s = await setup();
    const base = () => validBody(s, 1).body;
    const bad: [string, Record<string, unknown>, number, string][] = [
      ['invalid base64', { ...base(), code: '!!!!####' }, 400, 'INVALID_ARGUMENT'],
      ['unpadded base64', { ...base(), code: 'AAAAAAAAAAA' }, 400, 'INVALID_ARGUMENT'],
      ['base64 with whitespace', { ...base(), code: 'AAAA AAAA AAA=' }, 400, 'INVALID_ARGUMENT'],
      ['code too short', { ...base(), code: Buffer.alloc(7).toString('base64') }, 400, 'SHAPE_MISMATCH'],
      ['code too long', { ...base(), code: Buffer.alloc(9).toString('base64') }, 400, 'SHAPE_MISMATCH'],
      ['list out of range', { ...base(), listId: 16 }, 400, 'INVALID_ARGUMENT'],
      ['negative list', { ...base(), listId: -1 }, 400, 'INVALID_ARGUMENT'],
      ['code without list', { ...base(), listId: undefined }, 400, 'INVALID_ARGUMENT'],
      ['feature of 511', { ...base(), code: undefined, feature: Array(511).fill(0.01) }, 400, 'SHAPE_MISMATCH'],
      ['feature of 513', { ...base(), code: undefined, feature: Array(513).fill(0.01) }, 400, 'SHAPE_MISMATCH'],
      [
        'string in feature',
        { ...base(), code: undefined, feature: [...Array(511).fill(0), '0.5'] },
        400,
        'INVALID_ARGUMENT',
      ],
      [
        'null in feature',
        { ...base(), code: undefined, feature: [...Array(511).fill(0), null] },
        400,
        'INVALID_ARGUMENT',
      ],
      [
        '"NaN" in feature',
        { ...base(), code: undefined, feature: [...Array(511).fill(0), 'NaN'] },
        400,
        'INVALID_ARGUMENT',
      ],
      ['float32 overflow', { ...base(), code: undefined, feature: [...Array(511).fill(0), 1e39] }, 400, 'NOT_FINITE'],
      ['another codebook', { ...base(), codebookVersion: `sha256-${'0'.repeat(64)}` }, 409, 'CODEBOOK_VERSION'],
      ['javascript: URL', { ...base(), creatorUrl: 'javascript:alert(1)' }, 400, 'INVALID_ARGUMENT'],
      ['not a URL', { ...base(), creatorUrl: 'example dot org' }, 400, 'INVALID_ARGUMENT'],
      ['URL with credentials', { ...base(), creatorUrl: 'https://u:p@example.org/' }, 400, 'INVALID_ARGUMENT'],
      ['bad sha256', { ...base(), sha256: 'xyz' }, 400, 'INVALID_ARGUMENT'],
      ['no code nor feature', { ...base(), code: undefined, listId: undefined }, 400, 'INVALID_ARGUMENT'],
      ['unknown property', { ...base(), owner: 'someone' }, 400, 'INVALID_ARGUMENT'],
      ['control character in title', { ...base(), title: 'a\u0000b' }, 400, 'INVALID_ARGUMENT'],
      ['blank title', { ...base(), title: '   ' }, 400, 'INVALID_ARGUMENT'],
      ['title as number', { ...base(), title: 12 }, 400, 'INVALID_ARGUMENT'],
    ];
    for (const [what, body, status, code] of bad) {
      const r = await register(s.app, s.alice, body);
      expect({ what, status: r.statusCode, code: r.json().code }).toEqual({ what, status, code });
      expect(r.json().message).toBeTypeOf('string');
    }
    // JSON cannot carry NaN or Infinity, but a raw body can try: NaN is invalid JSON, and 1e400 parses to
    // Infinity, which the schema's "number" type refuses (ajv numbers are finite).
    for (const [raw, code] of [
      ['NaN', 'INVALID_ARGUMENT'],
      ['1e400', 'INVALID_ARGUMENT'],
      ['-1e400', 'INVALID_ARGUMENT'],
    ]) {
      const feature = `[${Array(511).fill('0').join(',')},${raw}]`;
      const payload = `{"feature":${feature},"codebookVersion":"${s.version}","title":"t","sha256":"${'b'.repeat(64)}"}`;
      const r = await s.app.inject({
        method: 'POST',
        url: '/api/images',
        headers: { authorization: `Bearer ${s.alice}`, 'content-type': 'application/json' },
        payload,
      });
      expect({ raw, status: r.statusCode, code: r.json().code }).toEqual({ raw, status: 400, code });
    }
    const notJson = await s.app.inject({
      method: 'POST',
      url: '/api/images',
      headers: { authorization: `Bearer ${s.alice}`, 'content-type': 'application/json' },
      payload: '{"title": ',
    });
    expect(notJson.statusCode).toBe(400);
    expect(await s.store.countImages()).toBe(0);
    await expectHealthy(s);
  });

  it('needs a valid token to write (401) and only the owner may delete (403)', async () => {
    const s = await setup();
    const { body, feature } = validBody(s, 1);
    for (const auth of [undefined, 'Bearer fdb_wrong', `Bearer ${'fdb_'}${'A'.repeat(43)}`, 'Basic abc', s.alice]) {
      const r = await s.app.inject({
        method: 'POST',
        url: '/api/images',
        headers: auth ? { authorization: auth } : {},
        payload: body,
      });
      expect(r.statusCode).toBe(401);
      expect(r.json().code).toBe('UNAUTHORIZED');
      expect(r.headers['www-authenticate']).toBe('Bearer');
    }
    // Authentication comes before the body is even parsed: a bad body without a token is still 401.
    const badBody = await s.app.inject({
      method: 'POST',
      url: '/api/images',
      headers: { 'content-type': 'application/json' },
      payload: '{"title": ',
    });
    expect([badBody.statusCode, badBody.json().code]).toEqual([401, 'UNAUTHORIZED']);
    const created = await register(s.app, s.alice, body);
    const id = created.json().id;

    const noToken = await s.app.inject({ method: 'DELETE', url: `/api/images/${id}` });
    expect(noToken.statusCode).toBe(401);
    const bobs = await s.app.inject({
      method: 'DELETE',
      url: `/api/images/${id}`,
      headers: { authorization: `Bearer ${s.bob}` },
    });
    expect([bobs.statusCode, bobs.json().code]).toEqual([403, 'FORBIDDEN']);
    const unknown = await s.app.inject({
      method: 'DELETE',
      url: '/api/images/999999',
      headers: { authorization: `Bearer ${s.alice}` },
    });
    expect([unknown.statusCode, unknown.json().code]).toEqual([404, 'NOT_FOUND']);
    for (const url of ['/api/images/abc', '/api/images/0', '/api/images/1e3', '/api/images/-1']) {
      const r = await s.app.inject({ method: 'GET', url });
      expect(r.statusCode, url).toBe(400);
    }

    const own = await s.app.inject({
      method: 'DELETE',
      url: `/api/images/${id}`,
      headers: { authorization: `Bearer ${s.alice}` },
    });
    expect(own.statusCode).toBe(204);
    expect((await s.app.inject({ method: 'GET', url: `/api/images/${id}` })).statusCode).toBe(404);
    expect((await search(s.app, feature)).json().matches.map((m: { id: number }) => m.id)).not.toContain(id);

    // A revoked token stops working at once.
    await s.store.revokeToken('bob');
    const revoked = await register(s.app, s.bob, validBody(s, 2).body);
    expect(revoked.statusCode).toBe(401);
    await expectHealthy(s);
  });

  it('validates searches', async () => {
    const s = await setup({ limits: { maxK: 20 } });
    const f = Array.from(unitVector(s.rng));
    const cases: [Record<string, unknown>, number, string][] = [
      [{ feature: f.slice(1) }, 400, 'SHAPE_MISMATCH'],
      [{ feature: [...f.slice(1), null] }, 400, 'INVALID_ARGUMENT'],
      [{ feature: [...f.slice(1), 1e39] }, 400, 'NOT_FINITE'],
      [{ feature: f, k: 0 }, 400, 'INVALID_ARGUMENT'],
      [{ feature: f, k: 21 }, 400, 'INVALID_ARGUMENT'],
      [{ feature: f, k: '5' }, 400, 'INVALID_ARGUMENT'],
      [{ feature: f, nprobe: 17 }, 400, 'INVALID_ARGUMENT'],
      [{ feature: f, nprobe: 0 }, 400, 'INVALID_ARGUMENT'],
      [{}, 400, 'INVALID_ARGUMENT'],
    ];
    for (const [payload, status, code] of cases) {
      const r = await s.app.inject({ method: 'POST', url: '/api/search', payload });
      expect({ keys: Object.keys(payload), status: r.statusCode, code: r.json().code }).toEqual({
        keys: Object.keys(payload),
        status,
        code,
      });
    }
    const empty = await search(s.app, f, { k: 20, nprobe: 16 });
    expect(empty.json()).toMatchObject({ matches: [], k: 20, nprobe: 16, codebookVersion: s.version });
    await expectHealthy(s);
  });

  it('limits body size (413) and rates per IP, per token and for searches (429)', async () => {
    const s = await setup({ limits: { jsonBodyBytes: 16 * 1024, writesPerTokenMax: 3, searchPerIpMax: 4 } });
    const huge = { ...validBody(s, 1).body, title: 'x'.repeat(20 * 1024) };
    const tooBig = await register(s.app, s.bob, huge); // counts as one of bob's 3 writes
    expect([tooBig.statusCode, tooBig.json().code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);

    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await register(s.app, s.alice, validBody(s, 100 + i).body)).statusCode);
    expect(statuses).toEqual([201, 201, 201, 429, 429]);
    const limited = await register(s.app, s.alice, validBody(s, 200).body);
    expect(limited.json().code).toBe('RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // Another token is not affected by alice's writes.
    expect((await register(s.app, s.bob, validBody(s, 300).body)).statusCode).toBe(201);

    const f = unitVector(s.rng);
    const searches: number[] = [];
    for (let i = 0; i < 6; i++) searches.push((await search(s.app, f)).statusCode);
    expect(searches).toEqual([200, 200, 200, 200, 429, 429]);
    expect((await s.app.inject({ method: 'GET', url: '/api/health' })).statusCode).toBe(200);
  });

  it('limits requests per IP over the whole API', async () => {
    const s = await setup({ limits: { perIpMax: 5 } });
    const codes: number[] = [];
    for (let i = 0; i < 7; i++) codes.push((await s.app.inject({ method: 'GET', url: '/api/images/1' })).statusCode);
    expect(codes).toEqual([404, 404, 404, 404, 404, 429, 429]);
    const other = await s.app.inject({ method: 'GET', url: '/api/images/1', remoteAddress: '10.0.0.2' });
    expect(other.statusCode).toBe(404);
    expect((await s.app.inject({ method: 'GET', url: '/api/health' })).statusCode).toBe(200);
  });

  it('serves the codebook with ETag, compression and an immutable versioned URL', async () => {
    const s = await setup();
    const r = await s.app.inject({ method: 'GET', url: '/api/codebook', headers: { 'accept-encoding': 'gzip' } });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-encoding']).toBe('gzip');
    expect(JSON.parse(gunzipSync(r.rawPayload).toString()).contentHash).toBe(s.version);
    expect(r.headers['cache-control']).toBe('no-cache');
    expect(r.headers['x-codebook-version']).toBe(s.version);
    const etag = r.headers.etag as string;
    expect(etag).toMatch(/^"sha256-[0-9a-f]{64}"$/);
    const again = await s.app.inject({ method: 'GET', url: '/api/codebook', headers: { 'if-none-match': etag } });
    expect(again.statusCode).toBe(304);
    const versioned = await s.app.inject({ method: 'GET', url: r.headers['content-location'] as string });
    expect(versioned.statusCode).toBe(200);
    expect(versioned.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const old = await s.app.inject({ method: 'GET', url: `/api/codebook/sha256-${'0'.repeat(64)}` });
    expect([old.statusCode, old.json().code]).toEqual([404, 'NOT_FOUND']);
  });

  it('without a codebook, registration and search answer 503 and the rest works', async () => {
    const s = await setup({ codebook: false });
    const f = Array(TEST_D).fill(0.01);
    const body = { feature: f, codebookVersion: 'x', title: 't', sha256: 'c'.repeat(64) };
    for (const r of [
      await register(s.app, s.alice, body),
      await search(s.app, f),
      await s.app.inject({ method: 'GET', url: '/api/codebook' }),
    ]) {
      expect([r.statusCode, r.json().code]).toEqual([503, 'UNAVAILABLE']);
    }
    expect((await s.app.inject({ method: 'GET', url: '/api/health' })).statusCode).toBe(200);
  });

  it('never serves files outside the built app (path traversal)', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'findable-trav-'));
    const dist = join(parent, 'dist');
    mkdirSync(join(dist, 'assets'), { recursive: true });
    writeFileSync(join(dist, 'index.html'), '<!doctype html><div id="root"></div>');
    writeFileSync(join(parent, 'secret.txt'), 'TOP-SECRET');
    const dataDir = join(parent, 'data');
    const app = await buildApp({ distDir: dist, dataDir });
    cleanups.push(() => app.close());
    writeFileSync(join(dataDir, 'note.txt'), 'TOP-SECRET');
    const paths = [
      '/../secret.txt',
      '/..%2fsecret.txt',
      '/%2e%2e/secret.txt',
      '/%2e%2e%2fsecret.txt',
      '/assets/..%2f..%2fsecret.txt',
      '/assets/%2e%2e/%2e%2e/secret.txt',
      '/..%5csecret.txt',
      '/%252e%252e/secret.txt',
      '/....//secret.txt',
      '/data/note.txt',
      '/../data/registry.sqlite3',
      '/%2e%2e/data/registry.sqlite3',
      '/assets/%00../../secret.txt',
    ];
    for (const url of paths) {
      const r = await app.inject({ method: 'GET', url });
      expect(r.body, url).not.toContain('TOP-SECRET');
      expect(r.body, url).not.toContain('SQLite format');
      expect(r.statusCode, url).toBeLessThan(500);
    }
    expect((await app.inject({ method: 'GET', url: '/api/health' })).statusCode).toBe(200);
  });
});
