// Drafts (下書き): a half-written record stays on the device, sealed like every other
// local row (sync/entities.ts: AES-GCM under the vault key, re-keyed with it), one per
// patient and kind — or per record for an amendment. The form restores it when it opens
// again and drops it once the record is saved. Rows carry the patient's id, so a purge
// (the user lost the patient) takes them too; a snapshot reset keeps them (sync/pull.ts).

import type { RecordKind } from './schemas';

/** Where drafts are kept: the sealed entity store in the app, anything alike in tests. */
export interface DraftStore {
  get<T>(entity: string, id: string): Promise<T | undefined>;
  put(entity: string, data: Record<string, unknown>, id?: string): Promise<void>;
  delete(entity: string, id: string): Promise<void>;
  list<T>(entity: string, patientId?: string): Promise<T[]>;
}

export interface Draft<S = unknown> {
  id: string;
  patient_id: string;
  kind: RecordKind;
  record_id?: string;
  /** What the form held (its own shape, see ui/forms/content.ts). */
  state: S;
  saved_at: string;
}

export const ENTITY = 'draft';

/** A new record's draft per patient and kind; an amendment's per record. */
export const draftId = (patientId: string, kind: RecordKind, recordId?: string) => (recordId ? `${patientId}/amend/${recordId}` : `${patientId}/${kind}`);

export class Drafts {
  constructor(private store: DraftStore, private now = () => new Date().toISOString()) {}

  get<S>(patientId: string, kind: RecordKind, recordId?: string): Promise<Draft<S> | undefined> {
    return this.store.get<Draft<S>>(ENTITY, draftId(patientId, kind, recordId));
  }

  /** The newest draft of a new record of one of `kinds` for the patient (the form opens on its kind). */
  async newest<S>(patientId: string, kinds: RecordKind[]): Promise<Draft<S> | undefined> {
    const all = await this.store.list<Draft<S>>(ENTITY, patientId);
    return all.filter((d) => !d.record_id && kinds.includes(d.kind)).sort((a, b) => b.saved_at.localeCompare(a.saved_at))[0];
  }

  async put<S>(patientId: string, kind: RecordKind, state: S, recordId?: string): Promise<void> {
    const d: Draft<S> = { id: draftId(patientId, kind, recordId), patient_id: patientId, kind, state, saved_at: this.now() };
    if (recordId) d.record_id = recordId;
    await this.store.put(ENTITY, d as unknown as Record<string, unknown>, d.id);
  }

  drop(patientId: string, kind: RecordKind, recordId?: string): Promise<void> {
    return this.store.delete(ENTITY, draftId(patientId, kind, recordId));
  }
}
