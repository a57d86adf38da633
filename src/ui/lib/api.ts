/**
 * The server's JSON API (docs/server.md) as typed calls. Only features and codes are ever sent: never
 * image bytes. Errors come back as ApiError with the server's stable code.
 */

export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

async function call<T>(path: string, init: RequestInit): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError('UNAVAILABLE', 'The server cannot be reached (offline?).', 0);
  }
  const type = response.headers.get('content-type') ?? '';
  const body = type.includes('json') ? await response.json().catch(() => null) : null;
  if (!response.ok) {
    const b = body as { code?: string; message?: string } | null;
    throw new ApiError(b?.code ?? 'UNAVAILABLE', b?.message ?? `HTTP ${response.status}`, response.status);
  }
  return body as T;
}

export interface SearchMatch {
  id: number;
  distance: number;
  decision: 'match' | 'no-match';
  title: string;
  creatorName: string | null;
  creatorUrl: string | null;
  sha256: string;
  codebookVersion: string;
  createdAt: string | number;
}

export interface SearchAnswer {
  codebookVersion: string;
  k: number;
  nprobe: number;
  threshold: number;
  matches: SearchMatch[];
}

export function searchFeature(feature: Float32Array, k = 5, signal?: AbortSignal): Promise<SearchAnswer> {
  return call<SearchAnswer>('/api/search', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ feature: Array.from(feature), k }),
    signal,
  });
}

export function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return btoa(s);
}

export interface Registration {
  listId: number | null;
  code: Uint8Array;
  codebookVersion: string;
  sha256: string;
  title: string;
  creatorName?: string;
  creatorUrl?: string;
}

/** The JSON body of POST /api/images (listId omitted for indexes without lists). */
export function registrationBody(r: Registration): Record<string, unknown> {
  const body: Record<string, unknown> = {
    code: toBase64(r.code),
    codebookVersion: r.codebookVersion,
    title: r.title.trim().slice(0, 200) || 'Untitled photo',
    sha256: r.sha256,
  };
  if (r.listId !== null) body.listId = r.listId;
  if (r.creatorName?.trim()) body.creatorName = r.creatorName.trim();
  if (r.creatorUrl?.trim()) body.creatorUrl = r.creatorUrl.trim();
  return body;
}

export function registerImage(r: Registration, token: string): Promise<{ id: number }> {
  return call<{ id: number }>('/api/images', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(registrationBody(r)),
  });
}

export const TOKEN_KEY = 'findable.token';

export function loadToken(): string {
  try {
    return localStorage.getItem(TOKEN_KEY) ?? '';
  } catch {
    return '';
  }
}

export function saveToken(token: string): void {
  try {
    if (token) localStorage.setItem(TOKEN_KEY, token);
    else localStorage.removeItem(TOKEN_KEY);
  } catch {
    // not persisted
  }
}
