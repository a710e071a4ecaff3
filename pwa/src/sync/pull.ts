// Pull: fetch the server's changes since our cursor and apply them locally, page by
// page. Each page's changes and its cursor are written in one transaction, so a crash
// never skips or half-applies a page.

import { ApiError, type Api } from '../api';
import type { PullResponse, Reset } from '../api-types';
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
    while (report.pages < this.#maxPages) {
      let page: PullResponse;
      try {
        page = await this.api.request<PullResponse>('GET', '/sync/pull', { query: { cursor, limit: this.#limit } });
      } catch (e) {
        if (e instanceof ApiError && e.status === 410 && !report.restarted) {
          report.restarted = true;
          cursor = undefined;
          await this.#startFresh();
          continue;
        }
        throw e;
      }
      report.pages++;
      await this.#apply(page);
      report.changes += page.changes.length;
      report.purged.push(...(page.resets ?? []).map((r) => r.patient_id));
      cursor = page.cursor;
      if (!page.has_more) break;
    }
    return report;
  }

  async #startFresh(): Promise<void> {
    const tx = this.db.transaction(['entities', 'meta'], 'readwrite');
    await tx.objectStore('entities').clear();
    await tx.objectStore('meta').delete('cursor');
    await tx.done;
  }

  async #apply(page: PullResponse): Promise<void> {
    // Seal first: awaiting crypto inside an IndexedDB transaction would end it.
    const puts: EntityRow[] = [];
    const dels: string[] = [];
    for (const c of page.changes) {
      const data = c.data as EntityData;
      if (!data || typeof data.id !== 'string') continue;
      if (c.op === 'delete') dels.push(`${c.entity}/${data.id}`);
      else puts.push(await sealEntity(this.vault, c.entity, data));
    }
    const tx = this.db.transaction(['entities', 'meta'], 'readwrite');
    const ents = tx.objectStore('entities');
    // Resets first: a snapshot's fresh rows may arrive in this same page.
    for (const r of page.resets ?? []) await purge(ents, r);
    for (const k of dels) await ents.delete(k);
    for (const row of puts) await ents.put(row);
    await tx.objectStore('meta').put(page.cursor, 'cursor');
    await tx.done;
  }
}

type EntityStore = IDBPObjectStore<Schema, ('entities' | 'meta')[], 'entities', 'readwrite'>;

async function purge(ents: EntityStore, r: Reset): Promise<void> {
  // purge: the user lost the patient; snapshot: stale local rows give way to the
  // complete set the server sends next. Either way, drop what we hold of them.
  for (const k of await ents.index('patient_id').getAllKeys(r.patient_id)) await ents.delete(k);
}
