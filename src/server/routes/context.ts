import type { Extractor } from '../extractor';
import type { ServerLimits } from '../limits';
import type { LiveIndex } from '../live-index';
import type { RateLimiters } from '../rate-limits';
import type { RegistryStore } from '../store/registry-store';

/** The codebook file as served: bytes as-is, identified by its version and content hash. */
export interface ServedCodebook {
  /** The codebook's identity: registrations name it in codebookVersion. */
  version: string;
  bytes: Buffer;
  /** Strong ETag (quoted), from the SHA-256 of the bytes. */
  etag: string;
}

/** What the API routes share (passed as plugin options). */
export interface RegistryContext {
  store: RegistryStore;
  /** Null while no codebook is loaded: registration and search answer 503 UNAVAILABLE. */
  index: LiveIndex | null;
  codebook: ServedCodebook | null;
  /** Null while no extractor model is loaded: search by image answers 503 UNAVAILABLE. */
  extractor: Extractor | null;
  limits: ServerLimits;
  limiters: RateLimiters;
  /** Squared-L2 distance at or below which a search match is reported as a copy. */
  matchThreshold: number;
  /** nprobe used when a search does not ask for one. */
  defaultNprobe: number;
}
