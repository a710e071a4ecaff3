// Calendar writes, framework-free: the visit editor's form, the API body it turns
// into (visit.create, or visit.update for the series, one occurrence or a single
// visit), and the local copy shown at once while the mutation waits in the outbox.
// The server's rules (api/visits.go) decide; these only mirror them for display.

import { WEEKDAYS, addDays, atTokyo, tokyoDate, tokyoTime, weekdayCode, type Weekday } from './calendar';
import type { Recurrence, VisitDetail, VisitException, VisitKind, VisitStatus } from './schemas';

export type Scope = 'occurrence' | 'series';

export interface VisitForm {
  kind: VisitKind;
  assignee_ids: string[];
  /** The day (YYYY-MM-DD); for a series, its first day. */
  day: string;
  /** HH:MM, Tokyo wall time; an end at or before the start is on the next day. */
  start: string;
  end: string;
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
    kind, assignee_ids: assignees, day, start: '10:00', end: '11:00', all_day: false, end_day: day, note: '', status: 'planned',
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
  const endDay = f.end <= f.start ? addDays(f.day, 1) : f.day;
  return { starts_at: atTokyo(f.day, f.start), ends_at: atTokyo(endDay, f.end) };
}

export function formRecurrence(f: VisitForm): Recurrence | undefined {
  if (!f.repeat) return undefined;
  const by_day = WEEKDAYS.filter((d) => f.by_day.includes(d));
  const r: Recurrence = { freq: 'weekly', interval: f.interval, by_day };
  if (f.ends === 'until') r.until = f.until;
  else r.count = f.count;
  return r;
}

export type FormProblem = 'assignees' | 'by_day' | 'until' | 'count' | 'time';

/** The last day a series starting on `day` may reach: two years on (the server's bound). */
export function seriesLimit(day: string): string {
  return `${Number(day.slice(0, 4)) + 2}${day.slice(4)}`;
}

/** What keeps the form from being sent, if anything (the server checks again). */
export function checkForm(f: VisitForm): FormProblem | null {
  if (f.assignee_ids.length === 0) return 'assignees';
  if (!f.all_day && (!/^\d\d:\d\d$/.test(f.start) || !/^\d\d:\d\d$/.test(f.end))) return 'time';
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
  if (!one) {
    if (f.kind !== was.kind) args.kind = f.kind;
    if (!sameSet(f.assignee_ids, was.assignee_ids ?? [])) args.assignee_ids = [...f.assignee_ids].sort();
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
    next.exceptions = [...(v.exceptions ?? []).filter((x) => x !== old), e];
    return next;
  }
  return { ...next, ...(fields as Partial<VisitDetail>) };
}

