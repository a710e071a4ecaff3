// "What changed since my last visit" for one patient, from what the device holds:
// records written or amended by others, and visits others changed, since my last
// contact there (my last visit marked done, or my last record, whichever is later).
// The visiting nurse reads this before walking into the home.

import { addDays, tokyoDate } from './calendar';
import { occurrences } from './recurrence';
import type { RecordDetail, VisitDetail } from './schemas';

type Rec = Pick<RecordDetail, 'id' | 'author_id' | 'occurred_at' | 'created_at' | 'updated_at' | 'status'> & Partial<RecordDetail>;

export interface VisitChange {
  visit: VisitDetail;
  /** The changed occurrence, for a change of one occurrence of a series. */
  occurrence?: VisitDetail;
  at: string;
  by: string;
}

export interface SinceLast {
  /** The instant changes are counted from. */
  since: string;
  /** What `since` is: my last done visit, my last record, or (neither) a look-back window. */
  basis: 'visit' | 'record' | 'window';
  records: Rec[];
  visits: VisitChange[];
}

/** Days looked back when I have never been there (or the device holds nothing of it). */
export const WINDOW_DAYS = 14;
/** How far back done visits are searched for. */
const SEARCH_DAYS = 180;

const later = (a: string | undefined, b: string | undefined) => (!a ? b : !b ? a : Date.parse(a) >= Date.parse(b) ? a : b);

/** When a record last changed: its current version, else its creation. */
const touched = (r: Rec) => r.updated_at || r.created_at || r.occurred_at;

/**
 * The changes for one patient, up to `now`, since my last contact before the visit
 * being prepared for (`exclude`, which starts at `before`): a record I write
 * during that visit does not hide what others wrote before it. `records` and
 * `visits` are the patient's local copies (series unexpanded).
 */
export function sinceLastVisit(o: {
  userId: string; records: Rec[]; visits: VisitDetail[]; now: string; before?: string; exclude?: { id: string; occurrence_start?: string };
}): SinceLast {
  const now = Date.parse(o.now);
  const cutoff = Math.min(now, o.before ? Date.parse(o.before) : now);
  const today = tokyoDate(o.now);
  let lastVisit: string | undefined;
  for (const v of o.visits) {
    if (!(v.assignee_ids ?? []).includes(o.userId)) continue;
    for (const x of occurrences(v, addDays(today, -SEARCH_DAYS), today)) {
      if (x.status !== 'done' || Date.parse(x.starts_at) >= cutoff) continue;
      if (o.exclude && x.id === o.exclude.id && (x.occurrence_start ?? '') === (o.exclude.occurrence_start ?? '')) continue;
      const end = Date.parse(x.ends_at) < now ? x.ends_at : o.now;
      lastVisit = later(lastVisit, end);
    }
  }
  let lastRecord: string | undefined;
  for (const r of o.records) if (r.author_id === o.userId && Date.parse(r.occurred_at) < cutoff) lastRecord = later(lastRecord, r.occurred_at);

  const last = later(lastVisit, lastRecord);
  const basis: SinceLast['basis'] = !last ? 'window' : last === lastVisit ? 'visit' : 'record';
  const since = last ?? new Date(now - WINDOW_DAYS * 86_400_000).toISOString();
  const after = (t: string | undefined) => !!t && Date.parse(t) > Date.parse(since) && Date.parse(t) <= now;

  const records = o.records
    .filter((r) => r.author_id !== o.userId && (after(touched(r)) || after(r.occurred_at)))
    .sort((a, b) => touched(b).localeCompare(touched(a)));

  const visits: VisitChange[] = [];
  for (const v of o.visits) {
    const own: VisitChange[] = [];
    for (const e of v.exceptions ?? []) {
      if (e.updated_by === o.userId || !after(e.updated_at)) continue;
      const day = tokyoDate(e.starts_at ?? e.occurrence_start);
      const occ = occurrences(v, day, day).find((x) => Date.parse(x.occurrence_start ?? '') === Date.parse(e.occurrence_start));
      own.push({ visit: v, occurrence: occ, at: e.updated_at, by: e.updated_by });
    }
    // Changing one occurrence also stamps the series (same request, a moment
    // earlier): that stamp is the occurrence's change, not a second one.
    const stampOfOccurrence = own.some((c) => c.by === v.updated_by && Math.abs(Date.parse(c.at) - Date.parse(v.updated_at)) < 5000);
    if (v.updated_by && v.updated_by !== o.userId && after(v.updated_at) && !stampOfOccurrence) own.push({ visit: v, at: v.updated_at, by: v.updated_by });
    visits.push(...own);
  }
  visits.sort((a, b) => b.at.localeCompare(a.at));
  return { since, basis, records, visits };
}
