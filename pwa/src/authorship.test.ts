import { describe, expect, it } from 'vitest';
import { awaitingMine, confirmedCopy, kindsForAuthor, mayConfirm, proxyCandidates, type HeldRecord } from './authorship';
import type { TeamMember } from './schemas';

const member = (user_id: string, profession: string, facility_id: string, role = 'other'): TeamMember => ({
  user_id, profession, facility_id, role, name: user_id, name_kana: '', facility_name: '', facility_kind: '', status: 'active', added_at: '',
});
// A clinic (doctor + clerk) and a nursing station (two nurses) on one patient's team.
const team = [
  member('doctor', 'doctor', 'clinic', 'primary_physician'),
  member('clerk', 'other', 'clinic'),
  member('nurse', 'nurse', 'station', 'visiting_nurse'),
  member('nurse2', 'nurse', 'station', 'visiting_nurse'),
  member('cm', 'care_manager', 'office', 'care_manager'),
];
const chart = { access: 'chart' as const, consent: 'full' as const };

describe('代行入力: who a record may be entered for', () => {
  it('offers the others of my own facility on the team, never myself or other facilities', () => {
    expect(proxyCandidates(team, { id: 'nurse', facility_id: 'station' }).map((m) => m.user_id)).toEqual(['nurse2']);
    expect(proxyCandidates(team, { id: 'clerk', facility_id: 'clinic' }).map((m) => m.user_id)).toEqual(['doctor']);
    expect(proxyCandidates(team, { id: 'cm', facility_id: 'office' })).toEqual([]);
    expect(proxyCandidates(team, { id: 'admin', facility_id: undefined })).toEqual([]);
    // A suspended or revoked colleague is no candidate.
    const withInactive = [...team, { ...member('nurse3', 'nurse', 'station'), status: 'suspended' as const }, { ...member('nurse4', 'nurse', 'station'), status: 'revoked' as const }];
    expect(proxyCandidates(withInactive, { id: 'nurse', facility_id: 'station' }).map((m) => m.user_id)).toEqual(['nurse2']);
  });

  it('gives the author\'s template: a nurse entering for the doctor writes a doctor\'s note', () => {
    expect(kindsForAuthor({ profession: 'nurse' }, member('doctor', 'doctor', 'clinic'), chart)).toEqual(['doctor_note', 'note', 'document']);
    expect(kindsForAuthor({ profession: 'nurse' }, undefined, chart)).toEqual(['nursing_visit', 'note', 'document']);
  });

  it('leaves out chart kinds when either side lacks the chart level', () => {
    // A clerk (non-clinical) reaches the patient at the shared level only.
    expect(kindsForAuthor({ profession: 'other' }, member('doctor', 'doctor', 'clinic'), { access: 'shared', consent: 'full' })).toEqual(['note', 'document']);
    // An author without chart rights (a care worker) gets only shared kinds, whoever enters.
    expect(kindsForAuthor({ profession: 'nurse' }, member('helper', 'care_worker', 'station'), chart)).toEqual(['care_note', 'note', 'document']);
    // Consent for the calendar and shared notes only.
    expect(kindsForAuthor({ profession: 'nurse' }, member('nurse2', 'nurse', 'station'), { access: 'shared', consent: 'calendar_shared' })).toEqual(['note', 'document']);
  });
});

describe('確定: records awaiting my confirmation', () => {
  const rec = (id: string, over: Partial<HeldRecord>): HeldRecord => ({
    id, author_id: 'doctor', awaiting_confirmation: true, occurred_at: '2026-11-20T01:00:00Z', status: 'final', ...over,
  });
  const held = [
    rec('newer', { occurred_at: '2026-11-21T01:00:00Z' }),
    rec('older', { occurred_at: '2026-11-19T01:00:00Z' }),
    rec('confirmed', { awaiting_confirmation: false }),
    rec('others', { author_id: 'nurse2' }),
    rec('unsent', { pending: true }),
    rec('confirming', { confirm_pending: true }),
  ];

  it('lists the author\'s unconfirmed records, the longest waiting first', () => {
    expect(awaitingMine(held, 'doctor').map((r) => r.id)).toEqual(['older', 'newer']);
    expect(awaitingMine(held, 'nurse2').map((r) => r.id)).toEqual(['others']);
    expect(awaitingMine(held, 'nurse')).toEqual([]);
    expect(awaitingMine(held, '')).toEqual([]);
  });

  it('only the author confirms, and only what the server already has', () => {
    expect(mayConfirm(held[0]!, 'doctor')).toBe(true);
    expect(mayConfirm(held[0]!, 'nurse')).toBe(false); // the one who entered it never does
    expect(mayConfirm(held[4]!, 'doctor')).toBe(false);
  });

  it('a confirmation on the device shows at once and leaves the list', () => {
    const c = confirmedCopy(held[0]!, 'doctor', '2026-11-21T03:00:00Z');
    expect(c).toMatchObject({ awaiting_confirmation: false, confirmed_by: 'doctor', confirmed_at: '2026-11-21T03:00:00Z', confirm_pending: true });
    expect(awaitingMine([c], 'doctor')).toEqual([]);
  });
});
