// Pull: fetch the server's changes since our cursor and apply them locally, page by
// page. Each page's changes and its cursor are written in one transaction, so a crash
// never skips or half-applies a page.
//
// A device without a cursor (first sign-in, or after 410 sync_reset_required) starts
// from the current state instead of the change log: it lists the caseload and takes a
// snapshot of each patient (`GET /sync/pull?patient_id=`), then follows the log from
// the cursor the first snapshot answered. Replaying the log from zero would miss rows
// that were never written through it (such as imported or seeded data).

import { ApiError, type Api } from '../api';
import type { Change, Patient, PullResponse, Reset } from '../schemas';
import type { IDBPObjectStore } from 'idb';
import { getMeta, type DB, type EntityRow, type Schema } from './db';
import type { Vault } from './crypto';
import { sealEntity, type EntityData } from './entities';

export interface PullReport { pages: number; changes: number; purged: string[]; restarted: boolean }

export interface PullOptions { limit?: number; maxPages?: number }

export class Puller {
  readonly #limit: number;
  readonly #maxPages: number;
  constructor(private db: DB, private vault: Vault, private api: Api, opts: PullOptions = {}) {
    this.#limit = opts.limit ?? 500;
    this.#maxPages = opts.maxPages ?? 1000;
  }

  async cursor(): Promise<string | undefined> {
    return getMeta<string>(this.db, 'cursor');
  }

  /**
   * Pulls until has_more is false. A 410 (cursor too old) clears the cursor and the
   * local entities (never the outbox) and starts again from nothing, once.
   * Network and API errors are thrown; what was applied before them stays.
   */
  async pull(): Promise<PullReport> {
    const report: PullReport = { pages: 0, changes: 0, purged: [], restarted: false };
    let cursor = await this.cursor();
    if (!cursor) cursor = await this.#fresh(report);
    while (report.pages < this.#maxPages) {
      let page: PullResponse;
      try {
        page = await this.api.request<PullResponse>('GET', '/sync/pull', { query: { cursor, limit: this.#limit } });
      } catch (e) {
        if (e instanceof ApiError && e.status === 410 && !report.restarted) {
          report.restarted = true;
          await this.#startFresh();
          cursor = await this.#fresh(report);
          continue;
        }
        throw e;
      }
      report.pages++;
      const resets = page.resets ?? [];
      // A patient gained (or to be re-read) comes as a snapshot of its own.
      const snapshots: Change[] = [];
      for (const r of resets) if (r.action === 'snapshot') snapshots.push(...(await this.#snapshot(r.patient_id, page.cursor)).changes);
      await this.#apply(page.changes ?? [], resets, page.cursor, snapshots);
      report.changes += (page.changes ?? []).length + snapshots.length;
      report.purged.push(...resets.filter((r) => r.action === 'purge').map((r) => r.patient_id));
      cursor = page.cursor;
      if (!page.has_more) break;
    }
    return report;
  }

  async #snapshot(patientId: string, cursor?: string): Promise<{ changes: Change[]; cursor: string }> {
    const s = await this.api.request<PullResponse>('GET', '/sync/pull', { query: { patient_id: patientId, cursor } });
    return { changes: s.changes ?? [], cursor: s.cursor };
  }

  /** Current state of every patient in the caseload; returns the cursor to follow from. */
  async #fresh(report: PullReport): Promise<string> {
    const { patients } = await this.api.request<{ patients: Patient[] | null }>('GET', '/patients');
    let cursor: string | undefined;
    const changes: Change[] = [];
    for (const p of patients ?? []) {
      const s = await this.#snapshot(p.id, cursor);
      cursor ??= s.cursor;
      changes.push(...s.changes);
    }
    if (!cursor) {
      // No patients yet: the log from now on is all there is.
      const page = await this.api.request<PullResponse>('GET', '/sync/pull', { query: { limit: this.#limit } });
      changes.push(...(page.changes ?? []));
      cursor = page.has_more ? '' : page.cursor;
    }
    if (cursor) await this.#apply(changes, [], cursor, []);
    report.changes += changes.length;
    report.pages++;
    return cursor;
  }

  async #startFresh(): Promise<void> {
    const tx = this.db.transaction(['entities', 'meta'], 'readwrite');
    await tx.objectStore('entities').clear();
    await tx.objectStore('meta').delete('cursor');
    await tx.done;
  }

  async #apply(changes: Change[], resets: Reset[], cursor: string, snapshots: Change[]): Promise<void> {
    // Seal first: awaiting crypto inside an IndexedDB transaction would end it.
    const seal = async (list: Change[]) => {
      const puts: EntityRow[] = [];
      const dels: string[] = [];
      for (const c of list) {
        if (typeof c.id !== 'string' || !c.id) continue;
        if (c.op === 'delete' || c.data == null) dels.push(`${c.entity}/${c.id}`);
        else puts.push(await sealEntity(this.vault, c.entity, c.data as EntityData, c.id, c.patient_id));
      }
      return { puts, dels };
    };
    const page = await seal(changes);
    const snap = await seal(snapshots);
    const tx = this.db.transaction(['entities', 'meta'], 'readwrite');
    const ents = tx.objectStore('entities');
    for (const k of page.dels) await ents.delete(k);
    for (const row of page.puts) await ents.put(row);
    // purge: the user lost the patient; snapshot: stale local rows give way to the
    // complete set just fetched. Either way, drop what we hold of them first.
    for (const r of resets) await purge(ents, r);
    for (const row of snap.puts) await ents.put(row);
    await tx.objectStore('meta').put(cursor, 'cursor');
    await tx.done;
  }
}

type EntityStore = IDBPObjectStore<Schema, ('entities' | 'meta')[], 'entities', 'readwrite'>;

/** Rows only this device has (not the server's): the user's drafts (drafts.ts) and the channel
 * read pointers waiting to be sent (channel-reads.ts). A snapshot cannot bring them back. */
const DEVICE_ONLY = ['draft/', 'message_read/'];

async function purge(ents: EntityStore, r: Reset): Promise<void> {
  // A snapshot replaces what the server has and keeps the device's own rows; a purge drops all.
  for (const k of await ents.index('patient_id').getAllKeys(r.patient_id)) {
    if (r.action === 'purge' || !DEVICE_ONLY.some((p) => String(k).startsWith(p))) await ents.delete(k);
  }
}
