// The office console's logic, without the DOM: what each role may do, the
// professions a facility's kind employs, filters as query strings, and the CSV
// of an audit search. The server decides every permission; these only keep the
// screens from offering what it would refuse.

import { ApiError } from '../api';
import type { components } from '../api-types';
import { toHiragana } from '../i18n';

type S = components['schemas'];
export type Facility = S['FacilityOut'];
export type AuditEvent = S['Event'];
/** UserOut; `facility_name` arrives with the staff search (CONTRACT.md). */
export type Staff = S['UserOut'] & { facility_name?: string };
export type Profession = S['CreateUserInputBody']['profession'];
export type FacilityKind = S['CreateFacilityInputBody']['kind'];
export type Disclosure = 'full' | 'shared_only';
export type AccountStatus = 'active' | 'suspended' | 'revoked';
export type AdminRole = 'network_admin' | 'facility_admin';

export const PROFESSIONS: readonly Profession[] = ['doctor', 'dentist', 'pharmacist', 'nurse', 'msw', 'care_manager', 'care_worker', 'therapist', 'dietitian', 'other'];
export const FACILITY_KINDS: readonly FacilityKind[] = ['hospital', 'clinic', 'dental_clinic', 'pharmacy', 'nursing_station', 'care_management', 'care_service', 'other'];
export const STATUSES: readonly AccountStatus[] = ['active', 'suspended', 'revoked'];

/**
 * internal/care.Employs: the professions a facility of each kind employs. Its
 * facility admin may give these and only these; the network office gives any.
 */
export const EMPLOYS: Readonly<Record<FacilityKind, readonly Profession[]>> = {
  hospital: ['doctor', 'dentist', 'pharmacist', 'nurse', 'msw', 'therapist', 'dietitian', 'care_worker', 'other'],
  clinic: ['doctor', 'nurse', 'msw', 'therapist', 'dietitian', 'other'],
  dental_clinic: ['dentist', 'dietitian', 'other'],
  pharmacy: ['pharmacist', 'dietitian', 'other'],
  nursing_station: ['nurse', 'therapist', 'other'],
  care_management: ['care_manager', 'care_worker', 'other'],
  care_service: ['care_worker', 'other'],
  other: ['other'],
};

/** care.FacilityEmploys: an unknown kind employs no one but "other". */
export function employs(kind: string, p: Profession): boolean {
  const ps = EMPLOYS[kind as FacilityKind];
  return ps ? ps.includes(p) : p === 'other';
}

/**
 * The professions an admin may give to staff of a facility of `kind`, in display
 * order: `usual` are those the kind employs, `other` the rest, which only the
 * network office grants (care.CanGrantProfession).
 */
export function grantable(kind: string, networkAdmin: boolean): { usual: Profession[]; other: Profession[] } {
  const usual = PROFESSIONS.filter((p) => employs(kind, p));
  return { usual, other: networkAdmin ? PROFESSIONS.filter((p) => !usual.includes(p)) : [] };
}

type WithRoles = Pick<Staff, 'roles'> & { facility_id?: string };
export const isNetworkAdmin = (u: WithRoles | null | undefined) => !!u?.roles?.includes('network_admin');
export const isFacilityAdmin = (u: WithRoles | null | undefined) => !!u?.roles?.includes('facility_admin');
export const isAdmin = (u: WithRoles | null | undefined) => isNetworkAdmin(u) || isFacilityAdmin(u);

export type Screen = 'facilities' | 'staff' | 'audit' | 'alerts';

/** The console's screens a role may open, in the menu's order: the facility register is the network office's. */
export function screensFor(u: WithRoles | null | undefined): Screen[] {
  if (isNetworkAdmin(u)) return ['facilities', 'staff', 'audit', 'alerts'];
  return isFacilityAdmin(u) ? ['staff', 'audit', 'alerts'] : [];
}

/** care.CanManageUser: network admins manage everyone; facility admins their own facility's staff, never a network admin. */
export function canManage(admin: WithRoles | null | undefined, target: WithRoles): boolean {
  if (isNetworkAdmin(admin)) return true;
  return isFacilityAdmin(admin) && !isNetworkAdmin(target) && !!target.facility_id && target.facility_id === admin?.facility_id;
}

/** The roles an admin may give: only the network office makes network admins. */
export function grantableRoles(admin: WithRoles | null | undefined): AdminRole[] {
  return isNetworkAdmin(admin) ? ['facility_admin', 'network_admin'] : isFacilityAdmin(admin) ? ['facility_admin'] : [];
}

/** The status changes offered for an account: revoked is final. */
export function statusActions(s: string): AccountStatus[] {
  if (s === 'active') return ['suspended', 'revoked'];
  if (s === 'suspended') return ['active', 'revoked'];
  return [];
}

/** Text for search: script (hiragana/katakana), width, case and spaces ignored. */
export const norm = (s: string) => toHiragana(s).toLowerCase().replace(/\s/g, '');

export function matchesFacility(f: Pick<Facility, 'name' | 'name_kana'>, q: string): boolean {
  const n = norm(q);
  return !n || norm(f.name).includes(n) || norm(f.name_kana).includes(n);
}

export interface StaffFilter { q: string; facility_id: string; profession: string; status: string }
export const emptyStaffFilter = (): StaffFilter => ({ q: '', facility_id: '', profession: '', status: '' });

/** GET /users query: empty fields are left out. */
export function staffQuery(f: StaffFilter): Record<string, string> {
  const q: Record<string, string> = {};
  const text = f.q.trim();
  if (text) q.q = text;
  if (f.facility_id) q.facility_id = f.facility_id;
  if (f.profession) q.profession = f.profession;
  if (f.status) q.status = f.status;
  return q;
}

/**
 * The same filter applied to the answer, so that a server which does not know a
 * parameter yet cannot show more than asked for. It never widens the answer.
 */
export function matchesStaff(u: Staff, f: StaffFilter): boolean {
  if (f.facility_id && u.facility_id !== f.facility_id) return false;
  if (f.profession && u.profession !== f.profession) return false;
  if (f.status && u.status !== f.status) return false;
  const n = norm(f.q);
  if (!n) return true;
  return [u.name, u.name_kana, u.login_id ?? ''].some((s) => norm(s).includes(n));
}

export interface AuditFilter { actor_id: string; patient_id: string; action: string; result: string; from: string; to: string }
export const emptyAuditFilter = (): AuditFilter => ({ actor_id: '', patient_id: '', action: '', result: '', from: '', to: '' });

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The fields of an audit filter the server would refuse, by name. */
export function auditFilterProblems(f: AuditFilter): Array<keyof AuditFilter> {
  const bad: Array<keyof AuditFilter> = [];
  if (f.patient_id.trim() && !UUID.test(f.patient_id.trim())) bad.push('patient_id');
  if (f.action.trim() && !/^[a-z_.]{1,64}$/.test(f.action.trim())) bad.push('action');
  if (f.from && !DAY.test(f.from)) bad.push('from');
  if (f.to && (!DAY.test(f.to) || (f.from && f.to < f.from))) bad.push('to');
  return bad;
}

/** The next calendar day of YYYY-MM-DD. */
export function nextDay(d: string): string {
  const [y, m, day] = d.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, day + 1)).toISOString().slice(0, 10);
}

/**
 * GET /audit query for a filter: days are Tokyo days, `to` inclusive (the server's
 * `to` is exclusive, so it gets the next day's midnight); `before` pages back.
 */
export function auditQuery(f: AuditFilter, before?: number, limit = 100): Record<string, string | number> {
  const q: Record<string, string | number> = { limit };
  if (f.actor_id) q.actor_id = f.actor_id;
  if (f.patient_id.trim()) q.patient_id = f.patient_id.trim().toLowerCase();
  if (f.action.trim()) q.action = f.action.trim();
  if (f.result) q.result = f.result;
  if (f.from) q.from = `${f.from}T00:00:00+09:00`;
  if (f.to) q.to = `${nextDay(f.to)}T00:00:00+09:00`;
  if (before) q.before = before;
  return q;
}

/** The query string the api module builds (empty values left out). */
export function queryString(q: Record<string, string | number | undefined>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '') p.set(k, String(v));
  return p.toString();
}

/**
 * One CSV cell (RFC 4180). A text a spreadsheet would run as a formula (starting
 * with = + - @, or a tab or carriage return) gets a leading apostrophe.
 */
export function csvCell(v: string | number | null | undefined): string {
  let s = v === null || v === undefined ? '' : String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replaceAll('"', '""')}"` : s;
}

/** A CSV file: UTF-8 with a byte order mark (Excel then reads Japanese), CRLF lines. */
export function toCsv(rows: ReadonlyArray<ReadonlyArray<string | number | null | undefined>>): string {
  return '\uFEFF' + rows.map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

/** 2026-12-04 09:05:07 in Tokyo. */
export function tokyoStamp(iso: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: 'Asia/Tokyo', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
  }).formatToParts(new Date(iso));
  const g = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return `${g('year')}-${g('month')}-${g('day')} ${g('hour')}:${g('minute')}:${g('second')}`;
}

/** The audit CSV: a header row, then one row per event with the actor's and facility's names resolved. */
export function auditCsv(events: readonly AuditEvent[], header: readonly string[], names: ReadonlyMap<string, string>, facilities: ReadonlyMap<string, string>): string {
  return toCsv([
    header,
    ...events.map((e) => [
      tokyoStamp(e.at), e.seq, names.get(e.actor_id) ?? '', e.actor_id, facilities.get(e.actor_facility_id) ?? '', e.action, e.result,
      e.patient_id, e.resource_type, e.resource_id, e.detail ?? '', e.address, e.request_id,
    ]),
  ]);
}
export const AUDIT_CSV_COLUMNS = ['at', 'seq', 'actor', 'actor_id', 'facility', 'action', 'result', 'patient_id', 'resource_type', 'resource_id', 'detail', 'address', 'request_id'] as const;

/** Misuse alert rules (CONTRACT.md, "Alerts"). */
export const ALERT_RULES = ['refused_access', 'many_patients', 'privilege_change', 'credential_reset', 'many_addresses'] as const;
export type AlertRule = (typeof ALERT_RULES)[number];
export const isAlertRule = (r: string): r is AlertRule => (ALERT_RULES as readonly string[]).includes(r);

export interface Alert {
  id: string; rule: string; user_id: string; user_name: string; facility_id: string; patient_ids: string[] | null; count: number;
  first_at: string; last_at: string; status: 'open' | 'acknowledged'; note: string; acknowledged_by?: string; acknowledged_at?: string;
}

/** The audit actions offered in the search (prefixes end with "."). */
export const AUDIT_ACTIONS = [
  'session.', 'session.create', 'session.delete', 'account.', 'user.', 'user.create', 'user.update', 'user.profession.change', 'user.roles.change',
  'user.password_reset', 'user.totp_reset', 'user.dormant', 'facility.', 'patient.', 'patient.read', 'patient.access_log', 'record.', 'record.read',
  'record.create', 'attachment.', 'team.', 'consent.', 'visit.', 'device.wipe', 'audit.read', 'alert.acknowledge', 'calendar.', 'sync.',
  'fhir.', 'message.', 'staff_message.', 'staff_thread.', 'staff_attachment.', 'careplan.',
] as const;

