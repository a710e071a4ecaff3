// The outbox: mutations made on this device, kept (sealed) until the server has
// answered for each of them. Ids and seq numbers are fixed when a mutation is queued,
// so re-sending after a crash or a lost answer gives the server the same ids, and its
// mutation ledger makes the effect exactly-once.

import { ApiError, NetworkError, type Api } from '../api';
import type { MutationIn, MutationType, Problem, PushResponse } from '../schemas';
import { getMeta, type DB, type OutboxRow } from './db';
import type { Vault } from './crypto';
import { uuidv7 } from './uuid';

export interface Mutation {
  id: string;
  seq: number;
  type: MutationType;
  args: Record<string, unknown>;
  base_version?: number;
}

export interface FailedMutation { mutation: Mutation; problem: Problem }
/**
 * A mutation the server did not take as it was meant, kept with the server's side
 * until the user decides (see conflicts.ts):
 * - a visit change on a stale base_version (`conflict`), and every later change of
 *   the same visit made on top of it on this device;
 * - a confirmation (確定) of a record version that someone replaced meanwhile
 *   (`conflict`, with the current record);
 * - a record amendment that the server kept but flagged `stale_parent` (`stale`):
 *   someone else amended the record first.
 */
export interface Conflict { mutation: Mutation; server: unknown; problem?: Problem; stale?: boolean }

/** Takes the server's entity as the local copy (the optimistic one is dropped). */
export type Adopt = (entity: string, data: Record<string, unknown>) => Promise<void>;

/**
 * The entity a mutation changes on top of a version it saw, or undefined. Two such
 * mutations of one entity never go in one push: the second waits for the first's
 * answer, so a conflict cannot be followed by a change applied on the wrong base.
 */
export function versionedEntity(m: Pick<Mutation, 'type' | 'args'>): string | undefined {
  const id = (k: string) => (typeof m.args[k] === 'string' ? (m.args[k] as string) : undefined);
  switch (m.type) {
    case 'visit.create': return id('id') && `visit/${id('id')}`;
    case 'visit.update': return id('visit_id') && `visit/${id('visit_id')}`;
    case 'record.amend': return id('record_id') && `record/${id('record_id')}`;
    default: return undefined;
  }
}

export interface FlushReport {
  sent: number;
  applied: number;
  conflicts: number;
  rejected: number;
  /** Why the flush stopped early, if it did: the rest waits for the next flush. */
  stopped?: 'network' | 'retry' | 'error';
  error?: unknown;
}

interface Payload { args: Record<string, unknown>; base_version?: number }

export interface OutboxOptions {
  batchSize?: number;
  newId?: () => string;
  /** Where the server's side of a conflict goes, so the device shows what is true. */
  adopt?: Adopt;
}

export class Outbox {
  readonly #batch: number;
  /** The batch size now: halved after a push that timed out or was cut, grown back after one that went through. */
  #size: number;
  readonly #newId: () => string;
  readonly #adopt: Adopt;

  constructor(
    private db: DB,
    private vault: Vault,
    private api: Api,
    private deviceId: () => Promise<string>,
    opts: OutboxOptions = {},
  ) {
    this.#batch = opts.batchSize ?? 50;
    this.#size = this.#batch;
    this.#newId = opts.newId ?? (() => uuidv7());
    this.#adopt = opts.adopt ?? (async () => undefined);
  }

  /** Queues a mutation; its id and per-device seq are persisted with it. */
  async enqueue(type: MutationType, args: Record<string, unknown>, baseVersion?: number): Promise<Mutation> {
    return this.resolve(undefined, { type, args, base_version: baseVersion });
  }

  /**
   * Settles conflict `conflictId` (if given) and queues `next` (if given) in one
   * transaction: a resolution is never lost halfway, nor applied twice.
   */
  async resolve(conflictId: string | undefined, next: { type: MutationType; args: Record<string, unknown>; base_version?: number }): Promise<Mutation>;
  async resolve(conflictId: string, next?: undefined): Promise<undefined>;
  async resolve(conflictId: string | undefined, next?: { type: MutationType; args: Record<string, unknown>; base_version?: number }): Promise<Mutation | undefined> {
    const id = this.#newId();
    const payload: Payload | undefined = next && (next.base_version === undefined ? { args: next.args } : { args: next.args, base_version: next.base_version });
    const sealed = payload && (await this.vault.seal(payload)); // before the transaction: awaiting crypto would end it
    const tx = this.db.transaction(['meta', 'outbox', 'conflicts'], 'readwrite');
    if (conflictId) await tx.objectStore('conflicts').delete(conflictId);
    let seq = 0;
    if (next && sealed) {
      const meta = tx.objectStore('meta');
      seq = (((await meta.get('seq')) as number | undefined) ?? 0) + 1;
      await meta.put(seq, 'seq');
      await tx.objectStore('outbox').add({ id, seq, type: next.type, state: 'pending', sealed });
    }
    await tx.done;
    return next && payload ? { id, seq, type: next.type, ...payload } : undefined;
  }

  /**
   * Stores a photo to upload before the mutation that cites it; returns its id, a
   * client UUIDv7 fixed now, so a re-sent upload names the same attachment.
   */
  async addBlob(bytes: ArrayBuffer | Uint8Array, type: string, patientId: string): Promise<string> {
    const id = this.#newId();
    await this.db.put('blobs', { id, type, patient_id: patientId, sealed: await this.vault.sealBytes(bytes) });
    return id;
  }

  async blobCount(): Promise<number> {
    return this.db.count('blobs');
  }

  async #rows(): Promise<OutboxRow[]> {
    return this.db.getAllFromIndex('outbox', 'seq');
  }

  async #mutation(r: OutboxRow): Promise<Mutation> {
    const p = await this.vault.open<Payload>(r.sealed);
    return { id: r.id, seq: r.seq, type: r.type, ...p };
  }

  /** Mutations still to send, in seq order. */
  async pending(): Promise<Mutation[]> {
    const rows = (await this.#rows()).filter((r) => r.state === 'pending');
    return Promise.all(rows.map((r) => this.#mutation(r)));
  }

  async pendingCount(): Promise<number> {
    return (await this.#rows()).filter((r) => r.state === 'pending').length;
  }

  /** Mutations the server refused, with its reason, for the user to see. */
  async failed(): Promise<FailedMutation[]> {
    const rows = (await this.#rows()).filter((r) => r.state === 'failed');
    return Promise.all(
      rows.map(async (r) => ({ mutation: await this.#mutation(r), problem: r.problem ? await this.vault.open<Problem>(r.problem) : unknownProblem() })),
    );
  }

  async conflicts(): Promise<Conflict[]> {
    const rows = await this.db.getAllFromIndex('conflicts', 'seq');
    return Promise.all(rows.map((r) => this.vault.open<Conflict>(r.sealed)));
  }

  async conflict(id: string): Promise<Conflict | undefined> {
    const r = await this.db.get('conflicts', id);
    return r && this.vault.open<Conflict>(r.sealed);
  }

  async conflictCount(): Promise<number> {
    return this.db.count('conflicts');
  }

  /** The user has seen a failed mutation or a conflict and lets it go. */
  async dismiss(id: string): Promise<void> {
    const tx = this.db.transaction(['outbox', 'conflicts'], 'readwrite');
    const row = await tx.objectStore('outbox').get(id);
    if (row?.state === 'failed') await tx.objectStore('outbox').delete(id);
    await tx.objectStore('conflicts').delete(id);
    await tx.done;
  }

  /**
   * Sends pending mutations in seq order and settles each by the server's answer:
   * applied/duplicate → removed; conflict → moved to conflicts with both versions;
   * rejected → kept as failed with the problem; retry → stop, nothing later overtakes.
   * A network failure stops the flush and keeps everything. Never throws for
   * network or API errors: they are reported in `stopped`/`error`.
   */
  async flush(): Promise<FlushReport> {
    const report: FlushReport = { sent: 0, applied: 0, conflicts: 0, rejected: 0 };
    const deviceId = await this.deviceId();
    for (;;) {
      const rows = (await this.#rows()).filter((r) => r.state === 'pending').slice(0, this.#size);
      if (rows.length === 0) return report;
      const batch: Mutation[] = [];
      const inBatch = new Set<string>();
      let stop: FlushReport['stopped'];
      for (const r of rows) {
        const m = await this.#mutation(r);
        const key = versionedEntity(m);
        if (key && inBatch.has(key)) break; // waits for the answer to the one before it
        if (key) inBatch.add(key);
        const up = await this.#uploadBlobs(m);
        if (up === 'ok') {
          batch.push(m);
          continue;
        }
        if (up instanceof ApiError && up.status >= 400 && up.status < 500 && up.status !== 401 && up.status !== 408 && up.status !== 429) {
          await this.#fail(r, up.toProblem()); // the photo itself is refused: the record cannot go as is
          report.rejected++;
          continue;
        }
        stop = up instanceof NetworkError ? 'network' : 'error';
        report.error = up;
        break; // later mutations must not overtake this one
      }
      if (batch.length > 0) {
        let res: PushResponse;
        try {
          res = await this.api.request<PushResponse>('POST', '/sync/push', {
            // The device's clock as the push leaves: the server moves times
            // taken from a clock that is off (occurred_at) to server time.
            body: { device_id: deviceId, device_time: new Date().toISOString(), mutations: batch.map(toWire) },
          });
        } catch (e) {
          // A batch too slow or too big for the link (the server's 408 when
          // the body did not arrive in time, a proxy's 504 or 413): the next
          // try sends half as much.
          if (e instanceof ApiError && [408, 413, 504].includes(e.status)) {
            this.#size = Math.max(1, Math.floor(batch.length / 2));
          }
          report.stopped = e instanceof NetworkError ? 'network' : 'error';
          report.error = e;
          return report;
        }
        this.#size = Math.min(this.#batch, this.#size * 2);
        report.sent += batch.length;
        const byId = new Map((res.results ?? []).map((x) => [x.id, x]));
        for (const m of batch) {
          const r = byId.get(m.id);
          if (!r || r.status === 'retry') {
            report.stopped = 'retry';
            return report;
          }
          // A mutation sent again (its first answer was lost) is handled as what
          // it came to the first time: a lost conflict or refusal is not dropped.
          const status = r.status === 'duplicate' && r.first_status ? r.first_status : r.status;
          switch (status) {
            case 'applied':
            case 'duplicate':
              if (m.type === 'record.amend' && isStale(r.entity)) {
                // Kept by the server, but on top of a version someone else replaced.
                await this.#setAside(m, { mutation: m, server: r.entity, stale: true });
                await this.#adopt('record', r.entity as Record<string, unknown>);
                report.conflicts++;
                break;
              }
              await this.db.delete('outbox', m.id);
              report.applied++;
              break;
            case 'conflict': {
              // visit.update on a stale base, or record.confirm of a version that
              // was replaced: the entity is the current visit or record.
              await this.#setAside(m, { mutation: m, server: r.entity ?? null, problem: r.problem });
              if (r.entity && typeof r.entity === 'object') await this.#adopt(entityOf(m), r.entity as Record<string, unknown>);
              report.conflicts += 1 + (await this.#setAsideLater(m, r.entity ?? null, r.problem));
              break;
            }
            case 'rejected': {
              const row = rows.find((x) => x.id === m.id)!;
              await this.#fail(row, r.problem ?? unknownProblem());
              report.rejected++;
              break;
            }
            default:
              report.stopped = 'retry'; // an answer this app does not know: keep and stop
              return report;
          }
        }
      }
      if (stop) {
        report.stopped = stop;
        return report;
      }
    }
  }

  async #setAside(m: Mutation, c: Conflict): Promise<void> {
    const sealed = await this.vault.seal(c);
    const tx = this.db.transaction(['outbox', 'conflicts'], 'readwrite');
    await tx.objectStore('conflicts').put({ id: m.id, seq: m.seq, type: m.type, sealed });
    await tx.objectStore('outbox').delete(m.id);
    await tx.done;
  }

  /**
   * Later changes of the entity of conflicted `m` were made on top of it: they go
   * aside with it (same server side) rather than be applied on the wrong base.
   */
  async #setAsideLater(m: Mutation, server: unknown, problem?: Problem): Promise<number> {
    const key = versionedEntity(m);
    if (!key) return 0;
    let n = 0;
    for (const r of await this.#rows()) {
      if (r.state !== 'pending' || r.seq <= m.seq) continue;
      const later = await this.#mutation(r);
      if (versionedEntity(later) !== key) continue;
      await this.#setAside(later, { mutation: later, server, problem });
      n++;
    }
    return n;
  }

  async #fail(row: OutboxRow, problem: Problem): Promise<void> {
    await this.db.put('outbox', { ...row, state: 'failed', problem: await this.vault.seal(problem) });
  }

  /** Uploads the queued photos a mutation cites; 'ok' or the error that stopped it. */
  async #uploadBlobs(m: Mutation): Promise<'ok' | unknown> {
    const ids = Array.isArray(m.args.attachment_ids) ? (m.args.attachment_ids as unknown[]) : [];
    for (const id of ids) {
      if (typeof id !== 'string') continue;
      const b = await this.db.get('blobs', id);
      if (!b) continue; // already uploaded (or taken on another device)
      try {
        const bytes = await this.vault.openBytes(b.sealed);
        await this.api.request('PUT', `/attachments/${encodeURIComponent(id)}`, {
          query: { patient_id: b.patient_id },
          body: bytes,
          contentType: b.type,
        });
      } catch (e) {
        return e;
      }
      await this.db.delete('blobs', id);
    }
    return 'ok';
  }
}

/** The kind of entity a mutation changes: 'record.confirm' → 'record'. */
export function entityOf(m: Pick<Mutation, 'type'>): string {
  return m.type.slice(0, m.type.indexOf('.'));
}

/** The id of the entity a mutation is about (record.create names its new record). */
export function subjectOf(m: Pick<Mutation, 'type' | 'args'>): string | undefined {
  const k = m.type === 'record.create' || m.type === 'visit.create' || m.type === 'consent.create' || m.type === 'message.create' ? 'id' : `${entityOf(m)}_id`;
  return typeof m.args[k] === 'string' ? (m.args[k] as string) : undefined;
}

function toWire(m: Mutation): MutationIn {
  const w: MutationIn = { id: m.id, seq: m.seq, type: m.type, args: m.args };
  if (m.base_version !== undefined) w.base_version = m.base_version;
  return w;
}

function isStale(entity: unknown): boolean {
  return !!entity && typeof entity === 'object' && (entity as { stale_parent?: unknown }).stale_parent === true;
}

function unknownProblem(): Problem {
  return { type: 'about:blank', title: '', status: 0, code: 'unknown' };
}

/** The device id, made once per install and kept in meta. */
export async function deviceId(db: DB): Promise<string> {
  let id = await getMeta<string>(db, 'device_id');
  if (!id) {
    id = uuidv7();
    await db.put('meta', id, 'device_id');
  }
  return id;
}
