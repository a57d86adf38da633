/**
 * The registry's durable storage, behind a small interface so that the API and the index math never
 * see the storage engine. The shipped implementation is SQLite (sqlite-store.ts); a distributed engine
 * can replace it by implementing this interface. Every method is async for that reason, even though
 * SQLite answers synchronously.
 *
 * Contract every implementation must keep:
 * - a promise returned by addImage / deleteImage / createToken / revokeToken resolves only once the
 *   change is durable (survives a crash of the process and of the machine);
 * - image ids are positive integers, never reused, even after a delete (the live index keys on them);
 * - tokens are stored only as the SHA-256 of the secret.
 */

export interface TokenRecord {
  id: number;
  name: string;
  /** Milliseconds since the epoch. */
  createdAt: number;
  /** Milliseconds since the epoch, or null while the token is valid. */
  revokedAt: number | null;
}

/** What a registration carries: the index code (list + PQ code) and/or the raw feature. */
export interface NewImage {
  /** Inverted list the code belongs to (IVF), or null for indexes without lists. */
  listId: number | null;
  /** The quantizer code, exactly as the codebook's index stores it. */
  code: Uint8Array | null;
  /** The extractor's feature (float32), when the client sent it instead of (or besides) a code. */
  feature: Float32Array | null;
  codebookVersion: string;
  title: string;
  creatorName: string | null;
  creatorUrl: string | null;
  /** Lowercase hex SHA-256 of the activated (published) file. */
  sha256: string;
  ownerTokenId: number;
}

export interface ImageRecord extends NewImage {
  id: number;
  /** Milliseconds since the epoch. */
  createdAt: number;
}

export interface AddImageResult {
  record: ImageRecord;
  /** False when the same owner had already registered the same file: the earlier record is returned. */
  created: boolean;
}

/** What RegistryStore.scanIndexRows reads. */
export interface IndexScanQuery {
  /** The version of the codebook the live index serves: its registrations come with their code. */
  codebookVersion: string;
  /** Bytes of one of that codebook's codes (the packed layout needs it). */
  codeSize: number;
  /** Reads registrations with a larger id (0 for the first page). */
  afterId: number;
  /** At most this many registrations (both kinds together). */
  limit: number;
}

/**
 * One page of registrations as the live index needs them, in typed arrays rather than one object per
 * row: building per-row records cost most of a 1M-registration start-up (docs/server.md).
 */
export interface IndexRowsPage {
  /** Registrations read; 0 ends the scan. */
  count: number;
  /** The largest id read: the next page's afterId. */
  lastId: number;
  /** Registrations made with the query's codebookVersion that carry a code, ids ascending. */
  coded: {
    ids: Float64Array;
    /** The inverted list of each, -1 where it has none (null listId); -2 for a value outside int32. */
    listIds: Int32Array;
    /** ids.length x codeSize bytes, row-major. */
    codes: Uint8Array;
  };
  /**
   * Every other registration (another codebook version, or no code), ids ascending, with its stored
   * feature (null when it has none): the live index re-encodes what it can.
   */
  reencode: { ids: Float64Array; features: (Float32Array | null)[] };
}

export interface RegistryStore {
  /** Durably stores a registration. Idempotent per (owner, sha256): a retry returns the first record. */
  addImage(image: NewImage): Promise<AddImageResult>;
  getImage(id: number): Promise<ImageRecord | undefined>;
  /** Several records at once (search results); unknown ids are skipped. */
  getImages(ids: readonly number[]): Promise<Map<number, ImageRecord>>;
  /** Durably deletes a registration; false if there was none. */
  deleteImage(id: number): Promise<boolean>;
  /**
   * Pages through every registration in id order, reading only what the live index needs (used to
   * rebuild it at start-up). Registrations of `query.codebookVersion` with a code come packed, the
   * others with their feature. Throws SHAPE_MISMATCH if such a code is not `codeSize` bytes long.
   */
  scanIndexRows(query: IndexScanQuery): Promise<IndexRowsPage>;
  countImages(): Promise<number>;

  /** Stores a token by the SHA-256 of its secret. Names are unique among valid tokens. */
  createToken(name: string, secretHash: Uint8Array): Promise<TokenRecord>;
  /** The valid (not revoked) token with this secret hash. */
  findTokenByHash(secretHash: Uint8Array): Promise<TokenRecord | undefined>;
  listTokens(): Promise<TokenRecord[]>;
  /** Revokes by id or by name (of a valid token); the revoked record, or undefined if none matched. */
  revokeToken(idOrName: number | string): Promise<TokenRecord | undefined>;

  /** Schema version of the stored data (see docs/server.md). */
  readonly schemaVersion: number;
  close(): Promise<void>;
}
