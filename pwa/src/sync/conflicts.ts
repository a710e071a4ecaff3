// What the user's decision on a conflict does. Nothing is resolved silently: the
// conflict view shows both sides and the user picks one of
//   mine   — send my change again, now based on the current version;
//   server — keep what the server has (for a record: a new amendment restoring the
//            version mine displaced, since versions are never deleted);
//   amend  — (records) write a reconciling amendment on top of the current version.
// A confirmation (確定) of a version someone replaced meanwhile is settled by
//   mine   — confirm the current version instead, which the user has now seen;
//   server — leave the current version unconfirmed for now.
// planResolution is pure; Outbox.resolve applies its plan in one transaction.

import type { MutationType, RecordDetail, VersionOut, VisitDetail, Vitals } from '../schemas';
import { confirmedCopy } from '../authorship';
import { applyUpdate } from '../visits';
import type { Conflict } from './outbox';

export type Choice = 'mine' | 'server' | 'amend';

export interface Plan {
  /** The mutation to queue instead, if any. */
  next?: { type: MutationType; args: Record<string, unknown>; base_version?: number };
  /** The local copy to show meanwhile, if it changes. */
  local?: { entity: 'visit' | 'record'; data: Record<string, unknown> };
}

export interface PlanOptions {
  /** The device's current copy of the entity (at least as new as the conflict's server side). */
  current?: unknown;
  userId: string;
  now: string;
  /** 訂正理由 for a record amendment (the server requires one). */
  reason?: string;
  /** The reconciling amendment's content (choice 'amend'). */
  text?: string;
  vitals?: Vitals;
}

/** Content fields an amendment may carry (AmendRecordInputBody minus reason/base). */
const CONTENT = ['text', 'vitals', 'fields', 'attachment_ids', 'next_visit_on', 'plan_changed', 'care_notes', 'status'] as const;

export class ResolutionError extends Error {}

/** The newer of two copies of an entity, by version. */
function newest<T extends { version: number }>(a: T | undefined, b: T): T {
  return a && typeof a.version === 'number' && a.version >= b.version ? a : b;
}

export function planResolution(c: Conflict, choice: Choice, o: PlanOptions): Plan {
  if (c.mutation.type === 'visit.update') return planVisit(c, choice, o);
  if (c.mutation.type === 'record.confirm') return planConfirm(c, choice, o);
  if (c.mutation.type === 'record.amend' && c.stale) return planRecord(c, choice, o);
  throw new ResolutionError(`no resolution for ${c.mutation.type}`);
}

function planVisit(c: Conflict, choice: Choice, o: PlanOptions): Plan {
  const server = c.server as VisitDetail | null;
  if (!server) {
    if (choice === 'server') return {}; // nothing to show but the dismissal
    throw new ResolutionError('the conflict has no server side');
  }
  const base = newest(o.current as VisitDetail | undefined, server);
  if (choice === 'server') return { local: { entity: 'visit', data: base as unknown as Record<string, unknown> } };
  if (choice !== 'mine') throw new ResolutionError('a visit conflict is resolved by choosing a side');
  const args = { ...c.mutation.args };
  return {
    next: { type: 'visit.update', args, base_version: base.version },
    local: { entity: 'visit', data: applyUpdate(base, args, o.userId, o.now) as unknown as Record<string, unknown> },
  };
}

/** The version a stale amendment displaced: the one current when it landed. */
export function displacedVersion(r: RecordDetail): VersionOut | undefined {
  return (r.versions ?? []).find((v) => v.version === r.version - 1);
}

function pick(from: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of CONTENT) if (from[k] !== undefined && from[k] !== null) out[k] = from[k];
  return out;
}

function planRecord(c: Conflict, choice: Choice, o: PlanOptions): Plan {
  const server = c.server as RecordDetail;
  const base = newest(o.current as RecordDetail | undefined, server);
  if (!o.reason?.trim()) throw new ResolutionError('an amendment needs a reason');
  let content: Record<string, unknown>;
  if (choice === 'mine') content = pick(c.mutation.args);
  else if (choice === 'server') {
    const theirs = displacedVersion(server);
    if (!theirs) throw new ResolutionError('the displaced version is not known');
    content = pick(theirs as unknown as Record<string, unknown>);
    // Replace the whole content: fields theirs did not have are cleared.
    content.text ??= '';
    content.vitals ??= {};
    content.attachment_ids ??= [];
  } else {
    content = { text: o.text ?? '' };
    if (o.vitals) content.vitals = o.vitals;
  }
  const args = { record_id: server.id, reason: o.reason.trim(), base_version: base.version, ...content };
  const local = { ...base, ...content, version: base.version + 1, stale_parent: false, pending: true };
  return { next: { type: 'record.amend', args }, local: { entity: 'record', data: local } };
}

function planConfirm(c: Conflict, choice: Choice, o: PlanOptions): Plan {
  const server = c.server as RecordDetail | null;
  if (choice === 'server' || !server) return {};
  if (choice !== 'mine') throw new ResolutionError('a confirmation conflict is resolved by confirming or not');
  // The device's copy may be newer than the conflict's (a pull since).
  const base = newest(o.current as RecordDetail | undefined, server);
  // Nothing to confirm when the author wrote the current version or confirmed it elsewhere.
  if (!base.awaiting_confirmation) throw new ResolutionError('the current version needs no confirmation');
  return {
    next: { type: 'record.confirm', args: { record_id: base.id, version: base.version } },
    local: { entity: 'record', data: confirmedCopy(base, o.userId, o.now) as unknown as Record<string, unknown> },
  };
}
