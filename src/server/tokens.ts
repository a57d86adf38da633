/**
 * API tokens: `fdb_` + 32 random bytes in base64url (43 characters). The secret is shown once, when
 * created; the store keeps only its SHA-256, so a leaked database does not leak usable tokens.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { RegistryStore, TokenRecord } from './store/registry-store';

export const TOKEN_PREFIX = 'fdb_';
const TOKEN_PATTERN = /^fdb_[A-Za-z0-9_-]{43}$/;

export function generateToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

export function hashToken(token: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(token, 'utf8').digest());
}

/** True for strings shaped like a Findable token (does not say it is valid). */
export function looksLikeToken(token: string): boolean {
  return TOKEN_PATTERN.test(token);
}

/** Creates and stores a token; returns the secret (to show once) and its record. */
export async function createToken(store: RegistryStore, name: string): Promise<{ token: string; record: TokenRecord }> {
  const token = generateToken();
  const record = await store.createToken(name, hashToken(token));
  return { token, record };
}

/** The valid token this Authorization header carries, or undefined. */
export async function authenticate(
  store: RegistryStore,
  authorization: string | undefined,
): Promise<TokenRecord | undefined> {
  if (!authorization) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!match || !looksLikeToken(match[1])) return undefined;
  return store.findTokenByHash(hashToken(match[1]));
}
