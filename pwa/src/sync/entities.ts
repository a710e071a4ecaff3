// Reading and writing the local copy of server entities (patients, teams, records,
// visits), sealed at rest. Rows are keyed by the pull change's entity and id; the
// plaintext patient_id lets a purge find every row of a patient.

import { entityKey, type DB, type EntityRow } from './db';
import type { Vault } from './crypto';

export type EntityData = Record<string, unknown>;

/** The patient a row belongs to: itself for a patient, else its patient_id ('' if none). */
export function patientOf(entity: string, id: string, data: EntityData): string {
  if (entity === 'patient') return id;
  return typeof data.patient_id === 'string' ? data.patient_id : '';
}

export async function sealEntity(vault: Vault, entity: string, data: EntityData, id?: string, patientId?: string): Promise<EntityRow> {
  const key = id ?? String(data.id ?? '');
  return { key: entityKey(entity, key), entity, id: key, patient_id: patientId ?? patientOf(entity, key, data), sealed: await vault.seal(data) };
}

export class Entities {
  constructor(private db: DB, private vault: Vault) {}

  /** Stores a local copy; `data.id` names it unless `id` is given. */
  async put(entity: string, data: EntityData, id?: string): Promise<void> {
    await this.db.put('entities', await sealEntity(this.vault, entity, data, id));
  }

  /** Drops a local copy, e.g. the optimistic copy of a create the server refused. */
  async delete(entity: string, id: string): Promise<void> {
    await this.db.delete('entities', entityKey(entity, id));
  }

  async get<T>(entity: string, id: string): Promise<T | undefined> {
    const r = await this.db.get('entities', entityKey(entity, id));
    return r ? this.vault.open<T>(r.sealed) : undefined;
  }

  /** All rows of one kind, optionally only those of one patient. */
  async list<T>(entity: string, patientId?: string): Promise<T[]> {
    const rows = patientId
      ? (await this.db.getAllFromIndex('entities', 'patient_id', patientId)).filter((r) => r.entity === entity)
      : await this.db.getAllFromIndex('entities', 'entity', entity);
    return Promise.all(rows.map((r) => this.vault.open<T>(r.sealed)));
  }
}
