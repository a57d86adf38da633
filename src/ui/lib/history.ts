/**
 * History of past activations in IndexedDB ("findable-history"): numbers and a thumbnail, never the
 * original photo. Each record carries `schema` (record layout version, currently 1); the database version
 * (HISTORY_DB_VERSION) changes only with the object stores. Record schema history:
 *   1  {schema, id, name, createdAt, width, height, psnr, ssim, linf, gain, backend, format, thumbnail,
 *       codebookVersion, sha256, registeredId?}
 */
import { type DBSchema, type IDBPDatabase, openDB } from 'idb';
import type { ActivationNumbers } from '../../../workers/protocol';

export const HISTORY_DB_VERSION = 1;
export const HISTORY_RECORD_SCHEMA = 1;

export interface HistoryRecord extends ActivationNumbers {
  schema: typeof HISTORY_RECORD_SCHEMA;
  id: string;
  name: string;
  createdAt: number;
  format: string;
  thumbnail: Blob;
  codebookVersion: string;
  sha256: string;
  registeredId?: number;
}

interface HistoryDb extends DBSchema {
  activations: { key: string; value: HistoryRecord; indexes: { createdAt: number } };
}

let dbPromise: Promise<IDBPDatabase<HistoryDb>> | null = null;

function db() {
  dbPromise ??= openDB<HistoryDb>('findable-history', HISTORY_DB_VERSION, {
    upgrade(database, oldVersion) {
      if (oldVersion < 1) {
        const store = database.createObjectStore('activations', { keyPath: 'id' });
        store.createIndex('createdAt', 'createdAt');
      }
    },
  });
  return dbPromise;
}

/** Upgrades a stored record to the current layout; null for what cannot be read (skipped, not fatal). */
export function migrateRecord(r: unknown): HistoryRecord | null {
  if (typeof r !== 'object' || r === null) return null;
  const rec = r as Partial<HistoryRecord>;
  if (rec.schema !== HISTORY_RECORD_SCHEMA || typeof rec.id !== 'string') return null;
  return rec as HistoryRecord;
}

export async function listHistory(): Promise<HistoryRecord[]> {
  const all = await (await db()).getAllFromIndex('activations', 'createdAt');
  return all
    .map(migrateRecord)
    .filter((r): r is HistoryRecord => r !== null)
    .reverse();
}

export async function addHistory(record: HistoryRecord): Promise<void> {
  await (await db()).put('activations', record);
}

export async function deleteHistory(id: string): Promise<void> {
  await (await db()).delete('activations', id);
}

export async function clearHistory(): Promise<void> {
  await (await db()).clear('activations');
}
