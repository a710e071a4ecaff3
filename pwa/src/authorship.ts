// Who entered a record and who confirmed it (代行入力と確定), on the device. The
// server decides (internal/care/authorship.go); this only offers the choices that
// can succeed with what the device holds, and lists what waits for the user.
//
// 代行入力: a record entered for a team member of the caller's facility, who becomes
// its author. Held locally: each member's facility and profession, the patient's
// consent and the caller's own level. Not held: whether the author's account is
// active, and the server's set of clinical professions (a setting). A choice that
// fails on those comes back as 422 on_behalf_not_allowed in the sync problems.

import type { Patient, Profession, RecordDetail, RecordKind, TeamMember, User } from './schemas';
import { kindsFor } from './vitals';

/** The kinds that are chart content (the server's care.ChartKinds). */
export const CHART_KINDS: readonly RecordKind[] = ['nursing_visit', 'doctor_note', 'medication'];
/** The server's default clinical professions (TSUNAGU_CLINICAL_PROFESSIONS). */
export const CLINICAL: readonly string[] = ['doctor', 'dentist', 'pharmacist', 'nurse', 'msw'] satisfies Profession[];

export const isChart = (k: RecordKind) => CHART_KINDS.includes(k);

/**
 * The team members the user may enter a record for: the others of the user's own
 * facility whose account is active (the server refuses the others), in the team's
 * order. Empty when the user has no facility.
 */
export function proxyCandidates(team: TeamMember[], me: Pick<User, 'id' | 'facility_id'>): TeamMember[] {
  if (!me.facility_id) return [];
  return team.filter((m) => m.user_id !== me.id && m.facility_id === me.facility_id && (m.status ?? 'active') === 'active');
}

/**
 * The kinds a record may have when `me` writes it for `author` (or for themselves
 * when `author` is undefined): the author's profession's template, the default
 * first. Chart kinds need the chart level of both: `patient.access` is the user's
 * own, and the author needs a clinical profession and the patient's full consent.
 * Shared kinds remain, so the list is never empty.
 */
export function kindsForAuthor(me: Pick<User, 'profession'>, author: Pick<TeamMember, 'profession'> | undefined, patient?: Pick<Patient, 'access' | 'consent'>): RecordKind[] {
  const kinds = kindsFor(author?.profession ?? me.profession);
  const myChart = !patient || patient.access === 'chart';
  const authorChart = !author || (CLINICAL.includes(author.profession) && (!patient || patient.consent === 'full'));
  const ok = kinds.filter((k) => !isChart(k) || (myChart && authorChart));
  return ok.length ? ok : ['note', 'document'];
}

/** A record as the device holds it: maybe not sent yet, maybe confirmed locally only. */
export type HeldRecord = Pick<RecordDetail, 'id' | 'author_id' | 'awaiting_confirmation' | 'occurred_at' | 'status'> & {
  pending?: boolean;
  confirm_pending?: boolean;
};

/** Whether `userId` should confirm `r` now: its author, and the current version awaits it. */
export function mayConfirm(r: HeldRecord, userId: string): boolean {
  return !!userId && r.author_id === userId && r.awaiting_confirmation && !r.pending && !r.confirm_pending;
}

/** The records awaiting the user's confirmation (確定待ち), oldest care first: it has waited longest. */
export function awaitingMine<T extends HeldRecord>(records: T[], userId: string): T[] {
  return records.filter((r) => mayConfirm(r, userId)).sort((a, b) => a.occurred_at.localeCompare(b.occurred_at));
}

/** The local copy once the user confirmed it on this device (sent by the outbox later). */
export function confirmedCopy<T extends HeldRecord>(r: T, userId: string, now: string): T & Pick<RecordDetail, 'confirmed_by' | 'confirmed_at'> {
  return { ...r, awaiting_confirmation: false, confirmed_by: userId, confirmed_at: now, confirm_pending: true };
}
