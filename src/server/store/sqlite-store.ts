/**
 * RegistryStore on SQLite (better-sqlite3), one file: <dataDir>/registry.sqlite3.
 *
 * Durability: WAL journal with synchronous = FULL, so every committed transaction is fsync'd to the
 * WAL before better-sqlite3 returns, and the API acknowledges a registration only after its commit
 * returned. A crash (SIGKILL, power loss) can lose only requests that were never acknowledged.
 *
 * Schema version: SQLite's PRAGMA user_version. `migrations[i]` takes the database from version i to
 * i + 1 inside one transaction; opening a database newer than this code knows is refused.
 * Feature blobs are float32 little-endian; code blobs are the quantizer's bytes as-is.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { FindableError } from '../../core/errors';
import type {
  AddImageResult,
  ImageRecord,
  IndexRowsPage,
  IndexScanQuery,
  NewImage,
  RegistryStore,
  TokenRecord,
} from './registry-store';

export const DATABASE_FILE = 'registry.sqlite3';

type Migration = (db: Database.Database) => void;

/** Append only: never edit a migration that has shipped. */
export const migrations: readonly Migration[] = [
  // 0 -> 1: tokens and images.
  (db) => {
    db.exec(`
      CREATE TABLE tokens (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        secret_sha256 BLOB NOT NULL UNIQUE CHECK (length(secret_sha256) = 32),
        created_at INTEGER NOT NULL,
        revoked_at INTEGER
      );
      CREATE UNIQUE INDEX tokens_valid_name ON tokens (name) WHERE revoked_at IS NULL;

      CREATE TABLE images (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        list_id INTEGER,
        code BLOB,
        feature BLOB,
        codebook_version TEXT NOT NULL,
        title TEXT NOT NULL,
        creator_name TEXT,
        creator_url TEXT,
        sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
        owner_token_id INTEGER NOT NULL REFERENCES tokens (id),
        created_at INTEGER NOT NULL,
        CHECK (code IS NOT NULL OR feature IS NOT NULL)
      );
      CREATE UNIQUE INDEX images_owner_file ON images (owner_token_id, sha256);
      CREATE INDEX images_sha256 ON images (sha256);
    `);
  },
];

export const SCHEMA_VERSION = migrations.length;

interface ImageRow {
  id: number;
  list_id: number | null;
  code: Buffer | null;
  feature: Buffer | null;
  codebook_version: string;
  title: string;
  creator_name: string | null;
  creator_url: string | null;
  sha256: string;
  owner_token_id: number;
  created_at: number;
}

/**
 * scanIndexRows's page, aggregated by SQLite into one row: count, last id, the coded rows' ids and list
 * ids as JSON arrays, their codes concatenated into one blob, and how many of those codes have the
 * wrong length. better-sqlite3 allocates an array (or object) and a Buffer for every row it returns,
 * which cost about twice as much as the whole aggregated page; JSON.parse of a page is cheap.
 * The subquery has a LIMIT, so SQLite cannot flatten it into the aggregate: the aggregates consume its
 * rows in id order, all of them in the same order. `ordered` puts ORDER BY into every aggregate, which
 * SQLite guarantees, at about twice the cost: the store falls back to it if a page ever comes back out
 * of order.
 */
function indexPageSql(ordered: boolean): string {
  const by = ordered ? ' ORDER BY id' : '';
  return `SELECT count(*), max(id),
      json_group_array(id${by}) FILTER (WHERE cur),
      json_group_array(list_id${by}) FILTER (WHERE cur),
      CAST(group_concat(code, ''${by}) FILTER (WHERE cur) AS BLOB),
      count(*) FILTER (WHERE cur AND length(code) <> @codeSize)
    FROM (SELECT id, list_id, code, codebook_version = @version AND code IS NOT NULL AS cur
          FROM images WHERE id > @afterId ORDER BY id LIMIT @limit)`;
}

interface IndexPageParams {
  codeSize: number;
  version: string;
  afterId: number;
  limit: number;
}

/** count, last id, ids JSON, list ids JSON, codes (null when none), codes of the wrong length. */
type IndexPageRow = [number, number | null, string, string, Buffer | null, number];

interface TokenRow {
  id: number;
  name: string;
  created_at: number;
  revoked_at: number | null;
}

function toBlob(bytes: Uint8Array | Float32Array | null): Buffer | null {
  return bytes === null ? null : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function featureFromBlob(blob: Buffer): Float32Array {
  // Copy into a fresh (aligned) buffer: SQLite blobs can start at any byte offset.
  const copy = new Uint8Array(blob.byteLength);
  copy.set(blob);
  return new Float32Array(copy.buffer);
}

function imageFromRow(row: ImageRow): ImageRecord {
  return {
    id: row.id,
    listId: row.list_id,
    code: row.code === null ? null : new Uint8Array(row.code),
    feature: row.feature === null ? null : featureFromBlob(row.feature),
    codebookVersion: row.codebook_version,
    title: row.title,
    creatorName: row.creator_name,
    creatorUrl: row.creator_url,
    sha256: row.sha256,
    ownerTokenId: row.owner_token_id,
    createdAt: row.created_at,
  };
}

/**
 * The typed arrays of an aggregated page, or undefined if its ids are not strictly ascending after
 * afterId (then the page must be read again with ordered aggregates).
 */
function unpackIndexPage(
  row: IndexPageRow,
  afterId: number,
): (Pick<IndexRowsPage, 'count' | 'lastId' | 'coded'> & { wrongCodes: number }) | undefined {
  const [count, lastId, idsJson, listsJson, codes, wrongCodes] = row;
  const idList = JSON.parse(idsJson) as number[];
  const listList = JSON.parse(listsJson) as (number | null)[];
  const n = idList.length;
  const ids = new Float64Array(n);
  const listIds = new Int32Array(n);
  let previous = afterId;
  for (let i = 0; i < n; i++) {
    const id = idList[i];
    if (!(id > previous)) return undefined;
    ids[i] = previous = id;
    const l = listList[i];
    listIds[i] = l === null ? -1 : Number.isInteger(l) && l >= 0 && l <= 0x7fffffff ? l : -2;
  }
  return {
    count,
    lastId: lastId ?? afterId,
    wrongCodes,
    // A plain Uint8Array view, no copy (a Buffer's slice() shares memory, a Uint8Array's copies).
    coded: {
      ids,
      listIds,
      codes: codes === null ? new Uint8Array(0) : new Uint8Array(codes.buffer, codes.byteOffset, codes.byteLength),
    },
  };
}

function tokenFromRow(row: TokenRow): TokenRecord {
  return { id: row.id, name: row.name, createdAt: row.created_at, revokedAt: row.revoked_at };
}

/** Brings a database to SCHEMA_VERSION; returns the version it had. */
export function migrate(db: Database.Database): number {
  const from = db.pragma('user_version', { simple: true }) as number;
  if (from > SCHEMA_VERSION) {
    throw new FindableError(
      'IO',
      `The registry database has schema version ${from}, newer than this Findable (${SCHEMA_VERSION}). ` +
        'Update Findable, or point --data at another directory.',
      { schemaVersion: from, supported: SCHEMA_VERSION },
    );
  }
  for (let v = from; v < SCHEMA_VERSION; v++) {
    db.transaction(() => {
      migrations[v](db);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
  return from;
}

function prepareStatements(db: Database.Database) {
  return {
    insertImage: db.prepare<
      [
        number | null,
        Buffer | null,
        Buffer | null,
        string,
        string,
        string | null,
        string | null,
        string,
        number,
        number,
      ],
      ImageRow
    >(
      `INSERT INTO images (list_id, code, feature, codebook_version, title, creator_name, creator_url, sha256,
         owner_token_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
    ),
    imageByOwnerFile: db.prepare<[number, string], ImageRow>(
      'SELECT * FROM images WHERE owner_token_id = ? AND sha256 = ?',
    ),
    imageById: db.prepare<[number], ImageRow>('SELECT * FROM images WHERE id = ?'),
    imagesByIds: db.prepare<[string], ImageRow>('SELECT * FROM images WHERE id IN (SELECT value FROM json_each(?))'),
    deleteImage: db.prepare<[number]>('DELETE FROM images WHERE id = ?'),
    indexPage: db.prepare<[IndexPageParams], IndexPageRow>(indexPageSql(false)).raw(),
    indexPageOrdered: db.prepare<[IndexPageParams], IndexPageRow>(indexPageSql(true)).raw(),
    // The rows of (afterId, lastId] the page did not pack: few, except after a codebook change.
    reencodeRows: db
      .prepare<[number, number, string], [number, Buffer | null]>(
        `SELECT id, feature FROM images WHERE id > ? AND id <= ?
           AND NOT (codebook_version = ? AND code IS NOT NULL) ORDER BY id`,
      )
      .raw(),
    wrongCode: db
      .prepare<[number, number, string, number], [number, number]>(
        `SELECT id, length(code) FROM images WHERE id > ? AND id <= ? AND codebook_version = ?
           AND code IS NOT NULL AND length(code) <> ? ORDER BY id LIMIT 1`,
      )
      .raw(),
    countImages: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM images'),
    insertToken: db.prepare<[string, Buffer, number], TokenRow>(
      'INSERT INTO tokens (name, secret_sha256, created_at) VALUES (?, ?, ?) RETURNING id, name, created_at, revoked_at',
    ),
    tokenByHash: db.prepare<[Buffer], TokenRow>(
      'SELECT id, name, created_at, revoked_at FROM tokens WHERE secret_sha256 = ? AND revoked_at IS NULL',
    ),
    listTokens: db.prepare<[], TokenRow>('SELECT id, name, created_at, revoked_at FROM tokens ORDER BY id'),
    revokeById: db.prepare<[number, number], TokenRow>(
      'UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL RETURNING id, name, created_at, revoked_at',
    ),
    revokeByName: db.prepare<[number, string], TokenRow>(
      'UPDATE tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL RETURNING id, name, created_at, revoked_at',
    ),
  };
}

export interface SqliteStoreOptions {
  /** Directory for registry.sqlite3 (created if missing). */
  dataDir: string;
}

export class SqliteRegistryStore implements RegistryStore {
  readonly schemaVersion: number;
  readonly path: string;
  private readonly db: Database.Database;
  private readonly stmts: ReturnType<typeof prepareStatements>;
  private readonly pending: {
    image: NewImage;
    resolve: (r: AddImageResult) => void;
    reject: (e: unknown) => void;
  }[] = [];

  constructor(options: SqliteStoreOptions) {
    const dir = resolve(options.dataDir);
    mkdirSync(dir, { recursive: true });
    this.path = join(dir, DATABASE_FILE);
    try {
      this.db = new Database(this.path);
    } catch (e) {
      throw new FindableError('IO', `Cannot open the registry database ${this.path}: ${(e as Error).message}`, {
        path: this.path,
      });
    }
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    migrate(this.db);
    this.schemaVersion = this.db.pragma('user_version', { simple: true }) as number;

    this.stmts = prepareStatements(this.db);
  }

  /**
   * Group commit: registrations that arrive in the same turn of the event loop are written in one
   * transaction, hence one fsync, and each promise resolves only after that commit returned. Under
   * concurrent load this multiplies throughput without weakening durability.
   */
  addImage(image: NewImage): Promise<AddImageResult> {
    if (!this.db.open) return Promise.reject(new FindableError('IO', 'The registry store is closed.'));
    return new Promise((resolve, reject) => {
      this.pending.push({ image, resolve, reject });
      if (this.pending.length === 1) setImmediate(() => this.flush());
    });
  }

  private insertOne(image: NewImage): AddImageResult {
    const existing = this.stmts.imageByOwnerFile.get(image.ownerTokenId, image.sha256);
    if (existing) return { record: imageFromRow(existing), created: false };
    const row = this.stmts.insertImage.get(
      image.listId,
      toBlob(image.code),
      toBlob(image.feature),
      image.codebookVersion,
      image.title,
      image.creatorName,
      image.creatorUrl,
      image.sha256,
      image.ownerTokenId,
      Date.now(),
    )!;
    return { record: imageFromRow(row), created: true };
  }

  private flush(): void {
    const batch = this.pending.splice(0);
    if (batch.length === 0) return;
    const results: ({ ok: true; value: AddImageResult } | { ok: false; error: unknown })[] = [];
    try {
      this.db
        .transaction(() => {
          for (const { image } of batch) {
            // A failing statement rolls back only itself; the others in the batch still commit.
            try {
              results.push({ ok: true, value: this.insertOne(image) });
            } catch (error) {
              results.push({ ok: false, error });
            }
          }
        })
        .immediate();
    } catch (error) {
      for (const item of batch) item.reject(error); // the commit failed: nothing was acknowledged
      return;
    }
    batch.forEach((item, i) => {
      const r = results[i];
      if (r.ok) item.resolve(r.value);
      else item.reject(r.error);
    });
  }

  async getImage(id: number): Promise<ImageRecord | undefined> {
    const row = this.stmts.imageById.get(id);
    return row ? imageFromRow(row) : undefined;
  }

  async getImages(ids: readonly number[]): Promise<Map<number, ImageRecord>> {
    const out = new Map<number, ImageRecord>();
    if (ids.length === 0) return out;
    for (const row of this.stmts.imagesByIds.all(JSON.stringify(ids))) out.set(row.id, imageFromRow(row));
    return out;
  }

  async deleteImage(id: number): Promise<boolean> {
    return this.stmts.deleteImage.run(id).changes > 0;
  }

  async scanIndexRows(query: IndexScanQuery): Promise<IndexRowsPage> {
    const { codebookVersion, codeSize, afterId, limit } = query;
    if (!Number.isInteger(codeSize) || codeSize < 1 || !Number.isInteger(limit) || limit < 1) {
      throw new FindableError('INVALID_ARGUMENT', 'scanIndexRows needs a positive integer codeSize and limit.', {
        codeSize,
        limit,
      });
    }
    // One read transaction: the page and its rows to re-encode come from the same snapshot.
    return this.db.transaction(() => this.readIndexPage(codebookVersion, codeSize, afterId, limit))();
  }

  private readIndexPage(codebookVersion: string, codeSize: number, afterId: number, limit: number): IndexRowsPage {
    const params = { codeSize, version: codebookVersion, afterId, limit };
    let page = unpackIndexPage(this.stmts.indexPage.get(params)!, afterId);
    page ??= unpackIndexPage(this.stmts.indexPageOrdered.get(params)!, afterId);
    if (page === undefined) {
      throw new FindableError('IO', 'The registry database returned a page of registrations out of id order.');
    }
    if (page.wrongCodes > 0) {
      const [id, length] = this.stmts.wrongCode.get(afterId, page.lastId, codebookVersion, codeSize)!;
      throw new FindableError(
        'SHAPE_MISMATCH',
        `Registration ${id} has a ${length}-byte code; codes of codebook ${codebookVersion} have ${codeSize}.`,
        { id, expected: codeSize, actual: length },
      );
    }
    const ids: number[] = [];
    const features: (Float32Array | null)[] = [];
    if (page.coded.ids.length < page.count) {
      for (const [id, feature] of this.stmts.reencodeRows.all(afterId, page.lastId, codebookVersion)) {
        ids.push(id);
        features.push(feature === null ? null : featureFromBlob(feature));
      }
    }
    return {
      count: page.count,
      lastId: page.lastId,
      coded: page.coded,
      reencode: { ids: Float64Array.from(ids), features },
    };
  }

  async countImages(): Promise<number> {
    return this.stmts.countImages.get()!.n;
  }

  async createToken(name: string, secretHash: Uint8Array): Promise<TokenRecord> {
    try {
      return tokenFromRow(this.stmts.insertToken.get(name, toBlob(secretHash)!, Date.now())!);
    } catch (e) {
      if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new FindableError('INVALID_ARGUMENT', `A valid token named "${name}" already exists.`, { name });
      }
      if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_CHECK') {
        throw new FindableError('INVALID_ARGUMENT', 'A token name has 1 to 200 characters; a hash has 32 bytes.');
      }
      throw e;
    }
  }

  async findTokenByHash(secretHash: Uint8Array): Promise<TokenRecord | undefined> {
    const row = this.stmts.tokenByHash.get(toBlob(secretHash)!);
    return row ? tokenFromRow(row) : undefined;
  }

  async listTokens(): Promise<TokenRecord[]> {
    return this.stmts.listTokens.all().map(tokenFromRow);
  }

  async revokeToken(idOrName: number | string): Promise<TokenRecord | undefined> {
    const now = Date.now();
    const row =
      typeof idOrName === 'number'
        ? this.stmts.revokeById.get(now, idOrName)
        : this.stmts.revokeByName.get(now, idOrName);
    return row ? tokenFromRow(row) : undefined;
  }

  async close(): Promise<void> {
    this.flush();
    if (this.db.open) this.db.close();
  }
}
