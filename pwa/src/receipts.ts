// Read receipts (既読) of a record: who of the care team has read it and when, and
// who of those who may read it has not yet. The server sends the readers (GET
// /records/{id} read_by); who may read a kind follows the care access rule
// (internal/care/access.go PatientAccess): every active member reads the shared
// kinds, only clinical professions under a full consent read the chart kinds.

import { CLINICAL, isChart } from './authorship';
import type { Patient, ReaderOut, RecordKind, TeamMember } from './schemas';

/** Whether team member `m` may read a record of `kind` of a patient whose consent is `consent`. */
export function mayReadKind(kind: RecordKind, m: Pick<TeamMember, 'profession' | 'status'>, consent: Patient['consent'] | undefined): boolean {
  if ((m.status ?? 'active') !== 'active') return false;
  if (consent === 'none') return false;
  return !isChart(kind) || (CLINICAL.includes(m.profession) && consent === 'full');
}

export interface Receipts {
  /** Who read it, earliest first. */
  read: ReaderOut[];
  /** Team members who may read it and have not, in the team's order (the author and whoever entered the current version left out: they know it). */
  unread: TeamMember[];
}

/** The read receipts of a record of `kind` written by `authorId` (the current version entered by `enteredBy`). */
export function receipts(
  r: { kind: RecordKind; author_id: string; entered_by?: string; read_by?: ReaderOut[] | null },
  team: readonly TeamMember[],
  consent: Patient['consent'] | undefined,
): Receipts {
  const read = [...(r.read_by ?? [])].sort((a, b) => a.read_at.localeCompare(b.read_at));
  const done = new Set([...read.map((x) => x.user_id), r.author_id, r.entered_by ?? r.author_id]);
  const unread = team.filter((m) => !done.has(m.user_id) && mayReadKind(r.kind, m, consent));
  return { read, unread };
}
