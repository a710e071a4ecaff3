// A weekly series reaches the device as ONE visit with `recurrence` and its
// `exceptions`; the calendar and today views need each occurrence. This expands a
// series the way the server does (care.Occurrences): Asia/Tokyo wall-clock times
// (Japan has no daylight saving, so a week is always 7 × 24 h), every `interval`
// weeks on `by_day`, until `until` (inclusive, a Tokyo day) or `count` occurrences.

import { overlapsDays } from './calendar';
import type { VisitDetail } from './schemas';

const DAY = 86_400_000;
const JST = 9 * 3_600_000;
const CODES = ['SU', 'MO', 'TU', 'WE', 'TH', 'FR', 'SA'];
/** Safety stop for a series without an end the server would have refused. */
const MAX_OCCURRENCES = 1000;

/** YYYY-MM-DD in Tokyo of an instant (ms). */
const day = (ms: number) => new Date(ms + JST).toISOString().slice(0, 10);

/**
 * The visit's occurrences that cover a Tokyo day in [from, to] (inclusive,
 * YYYY-MM-DD), by start: one that starts earlier and runs into the range (a
 * multi-day or all-day entry) is listed, and so is one moved into the range from
 * outside it. A single visit is itself; an occurrence keeps the series `id` and
 * `version` and carries `occurrence_start` (its original start), which names it in
 * a PATCH.
 */
export function occurrences(v: VisitDetail, from: string, to: string): VisitDetail[] {
  const start = Date.parse(v.starts_at);
  const r = v.recurrence;
  if (!r) return overlapsDays(v, from, to) ? [v] : [];
  const length = Date.parse(v.ends_at) - start;
  const startDow = new Date(start + JST).getUTCDay();
  const monday = start - ((startDow + 6) % 7) * DAY; // same wall time, Monday of the first week
  const days = (r.by_day?.length ? r.by_day : [CODES[startDow]!])
    .map((c) => CODES.indexOf(c))
    .filter((d) => d >= 0)
    .map((d) => (d + 6) % 7) // Monday = 0
    .sort((a, b) => a - b);
  const exceptions = new Map((v.exceptions ?? []).map((e) => [Date.parse(e.occurrence_start), e]));
  // An occurrence moved into the range from after it must still be reached.
  let last = to;
  for (const e of exceptions.keys()) if (day(e) > last) last = day(e);
  const interval = Math.max(1, r.interval || 1);
  const out: VisitDetail[] = [];
  let n = 0;
  for (let week = 0; n < MAX_OCCURRENCES; week += interval) {
    for (const d of days) {
      const t = monday + (week * 7 + d) * DAY;
      if (t < start) continue;
      if ((r.until && day(t) > r.until) || (r.count && n >= r.count) || day(t) > last) return byStart(out);
      n++;
      const e = exceptions.get(t);
      const s = e?.starts_at ?? new Date(t).toISOString();
      const o: VisitDetail = {
        ...v,
        occurrence_start: new Date(t).toISOString(),
        starts_at: s,
        ends_at: e?.ends_at ?? new Date(Date.parse(s) + length).toISOString(),
        status: (e?.status as VisitDetail['status'] | undefined) ?? v.status,
        note: e?.note ?? v.note,
        record_id: e?.record_id ?? v.record_id,
        assignee_ids: e?.assignee_ids ?? v.assignee_ids,
        exception: !!e,
      };
      if (overlapsDays(o, from, to)) out.push(o);
    }
  }
  return byStart(out);
}

/** Moved occurrences can overtake others: list them by their (moved) start. */
const byStart = (vs: VisitDetail[]) => vs.sort((a, b) => Date.parse(a.starts_at) - Date.parse(b.starts_at));
