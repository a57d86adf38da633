/** Every limit the server enforces, with production defaults; tests pass small ones. */
export interface ServerLimits {
  /** Largest JSON body, bytes (413 above). A 512-float feature is about 11 KB as JSON. */
  jsonBodyBytes: number;
  /** Largest uploaded image for search by image, bytes (413 above). */
  uploadBytes: number;
  /** Largest decoded image for search by image, pixels (413 above). */
  uploadPixels: number;
  /** Whole-request receive deadline (slow clients), ms (408). */
  requestTimeoutMs: number;
  /** Idle keep-alive sockets are closed after this, ms. */
  keepAliveTimeoutMs: number;
  /** Rate-limit window, ms. */
  rateWindowMs: number;
  /** Requests per window per client IP, all /api routes together. */
  perIpMax: number;
  /** Searches per window per client IP (searching costs more than reading). */
  searchPerIpMax: number;
  /** Authenticated writes (register, delete) per window per token. */
  writesPerTokenMax: number;
  /** Largest k a search may ask for. */
  maxK: number;
  /** Searches by image decoded/extracted at once, queue included (503 UNAVAILABLE above). */
  maxImageSearches: number;
}

export const defaultLimits: ServerLimits = {
  jsonBodyBytes: 64 * 1024,
  uploadBytes: 20 * 1024 * 1024,
  uploadPixels: 50_000_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  rateWindowMs: 60_000,
  perIpMax: 600,
  searchPerIpMax: 120,
  writesPerTokenMax: 600,
  maxK: 100,
  maxImageSearches: 4,
};

export function resolveLimits(overrides: Partial<ServerLimits> | undefined): ServerLimits {
  return { ...defaultLimits, ...overrides };
}
