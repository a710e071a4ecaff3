// Reading and writing the local copy of server entities (patients, records, visits,
// team members …), sealed at rest.

import { entityKey, type DB, type EntityRow } from './db';
import type { Vault } from './crypto';

export type EntityData = { id: string; patient_id?: string } & Record<string, unknown>;

/** The patient a row belongs to: itself for a patient, else its patient_id ('' if none). */
export function patientOf(entity: string, data: EntityData): string {
  if (entity === 'patient') return data.id;
  return typeof data.patient_id === 'string' ? data.patient_id : '';
}

export async function sealEntity(vault: Vault, entity: string, data: EntityData): Promise<EntityRow> {
  return { key: entityKey(entity, data.id), entity, id: data.id, patient_id: patientOf(entity, data), sealed: await vault.seal(data) };
}

export class Entities {
  constructor(private db: DB, private vault: Vault) {}

  async put(entity: string, data: EntityData): Promise<void> {
    await this.db.put('entities', await sealEntity(this.vault, entity, data));
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
