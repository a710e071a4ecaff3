// A tiny IndexedDB wrapper: one database, five stores. Everything about patients is
// stored sealed (see crypto.ts); only opaque ids, sequence numbers and states are
// plaintext, because the stores must be indexed by them.

import { openDB, deleteDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { MutationType, Problem } from '../schemas';

export const DB_NAME = 'tsunagu';
const DB_VERSION = 1;

/** An AES-GCM ciphertext with its 12-byte IV. */
export interface Sealed { iv: Uint8Array; ct: ArrayBuffer }

export interface EntityRow {
  key: string; // `${entity}/${id}`
  entity: string;
  id: string;
  patient_id: string; // '' for rows not tied to a patient
  sealed: Sealed; // the entity's data
}

export interface OutboxRow {
  id: string; // UUIDv7, fixed at enqueue: re-sending after a crash reuses it
  seq: number;
  type: MutationType;
  state: 'pending' | 'failed';
  sealed: Sealed; // {args, base_version?}
  problem?: Sealed; // Problem, when state = failed
}

export interface ConflictRow { id: string; seq: number; type: MutationType; sealed: Sealed /* {local, server, problem?} */ }

/** A photo waiting for upload: id = the attachment's client UUIDv7. */
export interface BlobRow { id: string; type: string; patient_id: string; sealed: Sealed }

export interface Schema extends DBSchema {
  meta: { key: string; value: unknown };
  outbox: { key: string; value: OutboxRow; indexes: { seq: number } };
  entities: { key: string; value: EntityRow; indexes: { patient_id: string; entity: string } };
  blobs: { key: string; value: BlobRow };
  conflicts: { key: string; value: ConflictRow; indexes: { seq: number } };
}

export type DB = IDBPDatabase<Schema>;
export type { Problem };

export function openDatabase(name = DB_NAME): Promise<DB> {
  return openDB<Schema>(name, DB_VERSION, {
    upgrade(db) {
      db.createObjectStore('meta');
      db.createObjectStore('outbox', { keyPath: 'id' }).createIndex('seq', 'seq', { unique: true });
      const e = db.createObjectStore('entities', { keyPath: 'key' });
      e.createIndex('patient_id', 'patient_id');
      e.createIndex('entity', 'entity');
      db.createObjectStore('blobs', { keyPath: 'id' });
      db.createObjectStore('conflicts', { keyPath: 'id' }).createIndex('seq', 'seq');
    },
  });
}

/** Closes `db` (if open) and deletes the whole database. */
export async function deleteDatabase(db: DB | null, name = DB_NAME): Promise<void> {
  const n = db?.name ?? name;
  db?.close();
  await deleteDB(n);
}

export async function getMeta<T>(db: DB, key: string): Promise<T | undefined> {
  return (await db.get('meta', key)) as T | undefined;
}

export async function setMeta(db: DB, key: string, value: unknown): Promise<void> {
  await db.put('meta', value, key);
}

export function entityKey(entity: string, id: string): string {
  return `${entity}/${id}`;
}
