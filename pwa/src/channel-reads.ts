// The read pointer of the team channel (連絡): viewing a patient's thread moves mine
// up to the newest message (POST /patients/{id}/messages/read). Offline, or when the
// server cannot answer now, the pointer is kept on the device (sealed, with the
// patient's id so a purge drops it) and sent after the next sync; only the newest
// pointer per patient is kept, as the server moves it forward only anyway.

import { ApiError, type Api } from './api';

export const READ_ENTITY = 'message_read';

interface Pointer { patient_id: string; up_to: string }

/** The slice of the sealed entity store the pointers live in (state.ts passes Entities). */
export interface PointerStore {
  get<T>(entity: string, id: string): Promise<T | undefined>;
  put(entity: string, data: Record<string, unknown>, id?: string): Promise<void>;
  delete(entity: string, id: string): Promise<void>;
  list<T>(entity: string): Promise<T[]>;
}

export class ReadPointers {
  constructor(private api: () => Api, private store: () => PointerStore) {}

  /** Moves my pointer of `patientId` to `upTo`: true when the server took it, false when it waits. */
  async mark(patientId: string, upTo: string): Promise<boolean> {
    await this.store().put(READ_ENTITY, { patient_id: patientId, up_to: upTo }, patientId);
    return this.#send({ patient_id: patientId, up_to: upTo });
  }

  /** Sends the pointers still waiting; how many the server took. */
  async flush(): Promise<number> {
    let n = 0;
    for (const p of await this.store().list<Pointer>(READ_ENTITY)) if (await this.#send(p)) n++;
    return n;
  }

  async #send(p: Pointer): Promise<boolean> {
    try {
      await this.api().request('POST', `/patients/${encodeURIComponent(p.patient_id)}/messages/read`, { body: { up_to: p.up_to } });
    } catch (e) {
      // A refusal (the patient left my caseload, the message is unknown) will not change by waiting.
      const final = e instanceof ApiError && e.status >= 400 && e.status < 500 && ![401, 408, 429].includes(e.status);
      if (!final) return false;
    }
    // A newer pointer stored meanwhile stays for its own send.
    const now = await this.store().get<Pointer>(READ_ENTITY, p.patient_id);
    if (now?.up_to === p.up_to) await this.store().delete(READ_ENTITY, p.patient_id);
    return true;
  }
}

/**
 * The read pointers this app run has already moved, so viewing a thread sends each
 * pointer once. Keyed by the signed-in user: another user signing in on the same
 * device moves their own pointers; a wipe or sign-out clears it (state.ts).
 */
export class MarkedOnce {
  #seen = new Set<string>();

  /** True the first time `user` marks `patientId` read up to `upTo`, false after. */
  first(user: string, patientId: string, upTo: string): boolean {
    const k = `${user}/${patientId}/${upTo}`;
    if (this.#seen.has(k)) return false;
    this.#seen.add(k);
    return true;
  }

  clear(): void {
    this.#seen.clear();
  }
}
