// Calendar writes, framework-free: the visit editor's form, the API body it turns
// into (visit.create, or visit.update for the series, one occurrence or a single
// visit), and the local copy shown at once while the mutation waits in the outbox.
// The server's rules (api/visits.go) decide; these only mirror them for display.

import { WEEKDAYS, addDays, atTokyo, daysBetween, tokyoDate, tokyoTime, weekdayCode, type Weekday } from './calendar';
import type { Recurrence, VisitDetail, VisitException, VisitKind, VisitStatus } from './schemas';

export type Scope = 'occurrence' | 'series';

export interface VisitForm {
  kind: VisitKind;
  assignee_ids: string[];
  /** The day (YYYY-MM-DD); for a series, its first day. */
  day: string;
  /** HH:MM, Tokyo wall time. */
  start: string;
  end: string;
  /**
   * The day the end falls on, counted from `day`: 0 the same day, 1 the next (翌日).
   * Never guessed from the times: an end at or before the start on the same day is
   * a problem the user answers by saying 翌日.
   */
  end_days: number;
  all_day: boolean;
  /** For an all-day entry: its last day (inclusive). */
  end_day: string;
  note: string;
  status: VisitStatus;
  repeat: boolean;
  by_day: Weekday[];
  interval: number;
  ends: 'until' | 'count';
  until: string;
  count: number;
}

export const VISIT_KINDS: VisitKind[] = ['nurse_visit', 'doctor_visit', 'pharmacist_visit', 'care_service', 'care_conference', 'hospital_appointment', 'other'];
export const VISIT_STATUSES: VisitStatus[] = ['planned', 'done', 'cancelled', 'missed'];

/** The visit kind a profession usually plans for itself. */
export function kindForProfession(p: string | undefined): VisitKind {
  switch (p) {
    case 'nurse': return 'nurse_visit';
    case 'doctor':
    case 'dentist': return 'doctor_visit';
    case 'pharmacist': return 'pharmacist_visit';
    case 'care_manager': return 'care_conference';
    case 'care_worker': return 'care_service';
    default: return 'other';
  }
}

/** A blank form for a new visit on `day` (weekly on that weekday if repeated, 8 times). */
export function newForm(day: string, kind: VisitKind, assignees: string[]): VisitForm {
  return {
    kind, assignee_ids: assignees, day, start: '10:00', end: '11:00', end_days: 0, all_day: false, end_day: day, note: '', status: 'planned',
    repeat: false, by_day: [weekdayCode(day)], interval: 1, ends: 'count', until: addDays(day, 8 * 7 - 1), count: 8,
  };
}

/**
 * The form to edit `occ` (a listed visit or occurrence) for `scope`: one occurrence
 * shows its own (possibly moved) times; the series shows its first entry and rule.
 */
export function editForm(occ: VisitDetail, series: VisitDetail, scope: Scope): VisitForm {
  const v = scope === 'series' ? series : occ;
  const r = series.recurrence;
  const day = tokyoDate(v.starts_at);
  return {
    kind: v.kind, assignee_ids: [...(v.assignee_ids ?? [])], day,
    start: v.all_day ? '10:00' : tokyoTime(v.starts_at), end: v.all_day ? '11:00' : tokyoTime(v.ends_at), all_day: v.all_day,
    end_days: v.all_day ? 0 : Math.max(0, daysBetween(day, tokyoDate(v.ends_at))),
    end_day: v.all_day ? addDays(tokyoDate(v.ends_at), -1) : day,
    note: v.note ?? '', status: v.status, repeat: !!r,
    by_day: (r?.by_day?.length ? r.by_day : [weekdayCode(tokyoDate(series.starts_at))]) as Weekday[],
    interval: r?.interval || 1, ends: r?.until ? 'until' : 'count',
    until: r?.until ?? addDays(tokyoDate(series.starts_at), 8 * 7 - 1), count: r?.count || 8,
  };
}

/** The start and end instants the form describes. */
export function formSpan(f: VisitForm): { starts_at: string; ends_at: string } {
  if (f.all_day) return { starts_at: atTokyo(f.day, '00:00'), ends_at: atTokyo(addDays(f.end_day > f.day ? f.end_day : f.day, 1), '00:00') };
  return { starts_at: atTokyo(f.day, f.start), ends_at: atTokyo(addDays(f.day, f.end_days), f.end) };
}

const HM = /^([01]\d|2[0-3]):([0-5]\d)$/;
const minutesOf = (hm: string) => Number(hm.slice(0, 2)) * 60 + Number(hm.slice(3, 5));
const hmOf = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

/** The length of a timed entry in minutes (≤ 0 when the end is not after the start). */
export function formLength(f: Pick<VisitForm, 'start' | 'end' | 'end_days'>): number {
  return f.end_days * 1440 + minutesOf(f.end) - minutesOf(f.start);
}

/**
 * A new start time that keeps the length: the end moves with it, onto the next
 * day when the length carries it past midnight (shown as 翌日 and confirmed on
 * saving). Without a valid length to keep, only the start changes.
 */
export function moveStart(f: VisitForm, start: string): Partial<VisitForm> {
  if (!HM.test(start) || !HM.test(f.start) || !HM.test(f.end)) return { start };
  const len = formLength(f);
  if (len <= 0) return { start };
  const end = minutesOf(start) + len;
  return { start, end: hmOf(end % 1440), end_days: Math.floor(end / 1440) };
}

/**
 * A new end time. An entry that ended the next day and now ends later than it
 * starts ends on its own day again (the shorter reading, and the 翌日 mark goes);
 * an end at or before the start never becomes the next day by itself.
 */
export function moveEnd(f: VisitForm, end: string): Partial<VisitForm> {
  if (f.end_days === 1 && HM.test(end) && HM.test(f.start) && minutesOf(end) > minutesOf(f.start)) return { end, end_days: 0 };
  return { end };
}

/**
 * The day the entry ends on when that is a later day than it starts and the user
 * has to confirm it: a new entry, or one whose times changed from `was` (what the
 * editor opened). Null when there is nothing to confirm.
 */
export function nextDayToConfirm(f: VisitForm, was?: { starts_at: string; ends_at: string }): string | null {
  if (f.all_day || f.end_days < 1) return null;
  const span = formSpan(f);
  if (was && Date.parse(was.starts_at) === Date.parse(span.starts_at) && Date.parse(was.ends_at) === Date.parse(span.ends_at)) return null;
  return addDays(f.day, f.end_days);
}

/** Anything on the calendar with times and people, as clash detection needs it. */
export interface Booked { id: string; occurrence_start?: string; starts_at: string; ends_at: string; all_day?: boolean; status?: string; assignee_ids?: string[] | null }

export interface Clash<T extends Booked> { user: string; other: T }

const busy = (v: Booked) => !v.all_day && v.status !== 'cancelled' && v.status !== 'missed';
const overlap = (a: Booked, b: Booked) => Date.parse(a.starts_at) < Date.parse(b.ends_at) && Date.parse(b.starts_at) < Date.parse(a.ends_at);

/**
 * The entries of `others` that an assignee of `v` is also assigned to at an
 * overlapping time (重複). Entries of the same visit or series, all-day entries,
 * and cancelled or missed ones do not clash.
 */
export function clashes<T extends Booked>(v: Booked, others: T[]): Clash<T>[] {
  if (!busy(v)) return [];
  const out: Clash<T>[] = [];
  for (const o of others) {
    if (o.id === v.id || !busy(o) || !overlap(v, o)) continue;
    for (const u of v.assignee_ids ?? []) if (o.assignee_ids?.includes(u)) out.push({ user: u, other: o });
  }
  return out;
}

/** The keys (id/occurrence_start) of the entries in `vs` that clash with another of them. */
export function clashingKeys(vs: Booked[]): Set<string> {
  const key = (v: Booked) => `${v.id}/${v.occurrence_start ?? ''}`;
  const out = new Set<string>();
  for (const v of vs) if (clashes(v, vs).length > 0) out.add(key(v));
  return out;
}

export function formRecurrence(f: VisitForm): Recurrence | undefined {
  if (!f.repeat) return undefined;
  const by_day = WEEKDAYS.filter((d) => f.by_day.includes(d));
  const r: Recurrence = { freq: 'weekly', interval: f.interval, by_day };
  if (f.ends === 'until') r.until = f.until;
  else r.count = f.count;
  return r;
}

export type FormProblem = 'assignees' | 'by_day' | 'until' | 'count' | 'time' | 'end_before_start';

/** The last day a series starting on `day` may reach: two years on (the server's bound). */
export function seriesLimit(day: string): string {
  return `${Number(day.slice(0, 4)) + 2}${day.slice(4)}`;
}

/** What keeps the form from being sent, if anything (the server checks again). */
export function checkForm(f: VisitForm): FormProblem | null {
  if (f.assignee_ids.length === 0) return 'assignees';
  if (!f.all_day && (!HM.test(f.start) || !HM.test(f.end))) return 'time';
  if (!f.all_day && formLength(f) <= 0) return 'end_before_start';
  if (f.repeat) {
    if (f.by_day.length === 0) return 'by_day';
    if (f.ends === 'until' && !(f.until >= f.day && f.until <= seriesLimit(f.day))) return 'until';
    if (f.ends === 'count' && !(f.count >= 1 && f.count <= 200)) return 'count';
    // The server refuses a series past two years; this estimate of the last
    // day errs by at most the days of one week.
    if (f.ends === 'count' && addDays(f.day, (Math.ceil(f.count / f.by_day.length) - 1) * f.interval * 7) > seriesLimit(f.day)) return 'count';
  }
  return null;
}

/** visit.create args (the REST body + patient_id; id is the client's UUIDv7). */
export function createArgs(patientId: string, id: string, f: VisitForm): Record<string, unknown> {
  const args: Record<string, unknown> = {
    patient_id: patientId, id, kind: f.kind, assignee_ids: [...f.assignee_ids].sort(), ...formSpan(f),
    all_day: f.all_day, note: f.note.trim(), status: f.status,
  };
  const r = formRecurrence(f);
  if (r) args.recurrence = r;
  return args;
}

/** The local copy of a visit queued for creation, as the server will answer it. */
export function createdVisit(args: Record<string, unknown>, userId: string, now: string): VisitDetail {
  const { patient_id, id, ...body } = args as Record<string, never>;
  return {
    ...(body as object), id, patient_id, exceptions: [], version: 1, record_id: undefined,
    created_at: now, created_by: userId, updated_at: now, updated_by: userId,
  } as unknown as VisitDetail;
}

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && [...a].sort().join() === [...b].sort().join();
const sameInstant = (a: string, b: string) => Date.parse(a) === Date.parse(b);
const sameRule = (a: Recurrence | undefined | null, b: Recurrence | undefined) =>
  !!a === !!b && (!a || !b || (a.interval === b.interval && sameSet(a.by_day ?? [], b.by_day ?? []) && (a.until ?? '') === (b.until ?? '') && (a.count ?? 0) === (b.count ?? 0)));

/**
 * visit.update args for the edit of `occ` (of `series`) in `scope`, with only the
 * fields that changed; null when nothing did. One occurrence may change only its
 * times, status and note (the server refuses the rest).
 */
export function updateArgs(occ: VisitDetail, series: VisitDetail, f: VisitForm, scope: Scope): Record<string, unknown> | null {
  const one = scope === 'occurrence' && !!series.recurrence && !!occ.occurrence_start;
  const was = one ? occ : series;
  const args: Record<string, unknown> = {};
  const span = formSpan(f);
  if (!sameInstant(span.starts_at, was.starts_at)) args.starts_at = span.starts_at;
  if (!sameInstant(span.ends_at, was.ends_at)) args.ends_at = span.ends_at;
  if (f.status !== was.status) args.status = f.status;
  if (f.note.trim() !== (was.note ?? '')) args.note = f.note.trim();
  // For one occurrence, other assignees are a substitute for it alone.
  if (!sameSet(f.assignee_ids, was.assignee_ids ?? [])) args.assignee_ids = [...f.assignee_ids].sort();
  if (!one) {
    if (f.kind !== was.kind) args.kind = f.kind;
    if (f.all_day !== was.all_day) args.all_day = f.all_day;
    const r = formRecurrence(f);
    if (series.recurrence && r && !sameRule(series.recurrence, r)) args.recurrence = r;
  }
  if (Object.keys(args).length === 0) return null;
  // A moved start travels with its end, so the server never guesses the length.
  if (args.starts_at || args.ends_at) Object.assign(args, span);
  const out: Record<string, unknown> = { visit_id: series.id };
  if (one) out.occurrence_start = occ.occurrence_start;
  return { ...out, ...args };
}

/**
 * The visit as it will be once the server applies `args` (a visit.update), shown
 * on the device meanwhile. The version moves on by one as on the server, so the
 * next change made offline is based on this one.
 */
export function applyUpdate(v: VisitDetail, args: Record<string, unknown>, userId: string, now: string): VisitDetail {
  const { visit_id: _id, occurrence_start, base_version: _b, ...fields } = args as Record<string, unknown> & { occurrence_start?: string };
  const next: VisitDetail = { ...v, version: v.version + 1, updated_at: now, updated_by: userId };
  if (occurrence_start) {
    const at = Date.parse(occurrence_start);
    const old = (v.exceptions ?? []).find((e) => Date.parse(e.occurrence_start) === at);
    const e: VisitException = { ...old, occurrence_start, updated_at: now, updated_by: userId };
    if (typeof fields.starts_at === 'string') e.starts_at = fields.starts_at;
    if (typeof fields.ends_at === 'string') e.ends_at = fields.ends_at;
    if (typeof fields.status === 'string') e.status = fields.status;
    if (typeof fields.note === 'string') e.note = fields.note;
    if (Array.isArray(fields.assignee_ids)) e.assignee_ids = sameSet(fields.assignee_ids as string[], v.assignee_ids ?? []) ? undefined : (fields.assignee_ids as string[]);
    next.exceptions = [...(v.exceptions ?? []).filter((x) => x !== old), e];
    return next;
  }
  return { ...next, ...(fields as Partial<VisitDetail>) };
}

