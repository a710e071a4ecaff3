// Care-team logic (チーム) and the "who viewed this patient" labels (閲覧履歴):
// pure functions, so the screens in ui/team.tsx and ui/access-log.tsx stay thin.

import { t, toHiragana, type MessageKey } from './i18n';
import { careJa, ct, type CareKey } from './i18n/care';
import { ja } from './i18n/ja';
import type { Profession, TeamMember, User } from './schemas';

export type Role = 'primary_physician' | 'deputy_physician' | 'visiting_nurse' | 'care_manager' | 'visiting_pharmacist' | 'nurse_aide' | 'helper' | 'other';
export type MemberStatus = 'active' | 'suspended' | 'revoked';

/** The team roles in the order the team lists them (and the role picker offers them). */
export const ROLES: Role[] = ['primary_physician', 'deputy_physician', 'visiting_nurse', 'care_manager', 'visiting_pharmacist', 'nurse_aide', 'helper', 'other'];

export const PROFESSIONS: Profession[] = ['doctor', 'dentist', 'pharmacist', 'nurse', 'msw', 'care_manager', 'care_worker', 'therapist', 'dietitian', 'other'];

/** 主治医, 訪問看護師 … ; an unknown role shows as its code. */
export function roleLabel(role: string): string {
  const key = `role.${role}`;
  return key in ja ? t(key as MessageKey) : role;
}

/** 医師, 看護師 … ; an unknown profession shows as its code. */
export function professionLabel(profession: string): string {
  const key = `profession.${profession}`;
  return key in ja ? t(key as MessageKey) : profession;
}

/** A member's account status; a copy synced before the server sent it counts as active. */
export function memberStatus(m: Pick<TeamMember, 'status'>): MemberStatus {
  return m.status === 'suspended' || m.status === 'revoked' ? m.status : 'active';
}

const STATUS_ORDER: Record<MemberStatus, number> = { active: 0, suspended: 1, revoked: 2 };

/**
 * The team as the screen lists it: active members first, then suspended, then
 * revoked; within each by role (主治医 first), then by kana.
 */
export function sortMembers<M extends Pick<TeamMember, 'status' | 'role' | 'name_kana' | 'user_id'>>(ms: readonly M[]): M[] {
  const roleRank = (r: string) => {
    const i = ROLES.indexOf(r as Role);
    return i < 0 ? ROLES.length : i;
  };
  return [...ms].sort((a, b) =>
    STATUS_ORDER[memberStatus(a)] - STATUS_ORDER[memberStatus(b)] ||
    roleRank(a.role) - roleRank(b.role) ||
    toHiragana(a.name_kana ?? '').localeCompare(toHiragana(b.name_kana ?? ''), 'ja') ||
    a.user_id.localeCompare(b.user_id));
}

/** How many members can act for the patient now (suspended and revoked do not count). */
export function activeCount(ms: readonly Pick<TeamMember, 'status'>[]): number {
  return ms.filter((m) => memberStatus(m) === 'active').length;
}

/**
 * The role a new member most likely takes: a doctor is the primary physician,
 * or the deputy when the team already has an active one.
 */
export function defaultRole(profession: string, team: readonly Pick<TeamMember, 'role' | 'status'>[] = []): Role {
  switch (profession) {
    case 'doctor':
    case 'dentist':
      return team.some((m) => m.role === 'primary_physician' && memberStatus(m) === 'active') ? 'deputy_physician' : 'primary_physician';
    case 'nurse':
      return 'visiting_nurse';
    case 'care_manager':
      return 'care_manager';
    case 'pharmacist':
      return 'visiting_pharmacist';
    case 'care_worker':
      return 'helper';
  }
  return 'other';
}

export interface StaffQuery {
  q: string;
  facilityId: string;
  profession: string;
}

/** Folds what a name search compares: NFKC, katakana as hiragana, no spaces, lower case. */
export function fold(s: string): string {
  return toHiragana(s).replace(/\s+/g, '').toLowerCase();
}

type Staff = Pick<User, 'id' | 'name' | 'name_kana' | 'profession' | 'facility_id' | 'status'>;

/**
 * The staff a manager may add, matching what was typed: active accounts of a
 * facility, by name or kana (script- and space-insensitive), facility and
 * profession. The server filters too once it takes these parameters; this keeps
 * the answer right either way. Sorted by kana.
 */
export function filterStaff<U extends Staff>(users: readonly U[], query: StaffQuery): U[] {
  const q = fold(query.q);
  return users
    .filter((u) => u.status === 'active' && !!u.facility_id)
    .filter((u) => !query.facilityId || u.facility_id === query.facilityId)
    .filter((u) => !query.profession || u.profession === query.profession)
    .filter((u) => !q || fold(u.name).includes(q) || fold(u.name_kana).includes(q))
    .sort((a, b) => toHiragana(a.name_kana).localeCompare(toHiragana(b.name_kana), 'ja') || a.id.localeCompare(b.id));
}

/** The audit actions the access log names in plain words; others show their code. */
export const ACTIONS = [
  'patient.read', 'patient.list', 'patient.create', 'patient.update', 'patient.access_log',
  'record.read', 'record.list', 'record.create', 'record.amend', 'record.confirm', 'record.mark_read', 'record.unread', 'record.awaiting_confirmation',
  'team.read', 'team.add', 'team.remove', 'consent.create', 'consent.withdraw',
  'visit.read', 'visit.list', 'visit.create', 'visit.update',
  'attachment.read', 'attachment.create', 'sync.pull', 'sync.snapshot', 'calendar.feed',
  'fhir.export', 'fhir.bulk_export',
  'message.list', 'message.create', 'message.retract', 'message.read', 'careplan.preview', 'careplan.import', 'careplan.export',
] as const;

/** 記録を閲覧 for record.read …; an unknown action shows as its code. */
export function actionLabel(action: string): string {
  const key = `accesslog.action.${action}`;
  return key in careJa ? ct(key as CareKey) : action;
}

export type Outcome = 'ok' | 'denied' | 'failed';

/** 成功 / 拒否 / 失敗; an unknown result shows as its code. */
export function resultLabel(result: string): string {
  const key = `accesslog.result.${result}`;
  return key in careJa ? ct(key as CareKey) : result;
}
