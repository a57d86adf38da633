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

export interface RegistryStore {
  /** Durably stores a registration. Idempotent per (owner, sha256): a retry returns the first record. */
  addImage(image: NewImage): Promise<AddImageResult>;
  getImage(id: number): Promise<ImageRecord | undefined>;
  /** Several records at once (search results); unknown ids are skipped. */
  getImages(ids: readonly number[]): Promise<Map<number, ImageRecord>>;
  /** Durably deletes a registration; false if there was none. */
  deleteImage(id: number): Promise<boolean>;
  /** Pages through every registration in id order (used to rebuild the live index at start-up). */
  listImages(afterId: number, limit: number): Promise<ImageRecord[]>;
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
