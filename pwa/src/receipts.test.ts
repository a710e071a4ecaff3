import { describe, expect, it } from 'vitest';
import { mayReadKind, receipts } from './receipts';
import type { TeamMember } from './schemas';

const m = (user_id: string, profession: string, status: TeamMember['status'] = 'active') => ({ user_id, profession, status, name: user_id }) as TeamMember;
const team = [m('doc', 'doctor'), m('nurse', 'nurse'), m('nurse2', 'nurse'), m('pharm', 'pharmacist'), m('cm', 'care_manager'), m('helper', 'care_worker'), m('gone', 'nurse', 'revoked')];

describe('receipts', () => {
  it('chart kinds: only clinical professions under a full consent may read, so only they are waited for', () => {
    const r = receipts({ kind: 'nursing_visit', author_id: 'nurse', entered_by: 'nurse', read_by: [{ user_id: 'doc', name: 'doc', profession: 'doctor', read_at: '2026-12-04T01:00:00Z' }] }, team, 'full');
    expect(r.read.map((x) => x.user_id)).toEqual(['doc']);
    expect(r.unread.map((x) => x.user_id)).toEqual(['nurse2', 'pharm']);
  });

  it('shared kinds: the whole active team; the author and whoever entered the current version are not waited for', () => {
    const r = receipts({ kind: 'note', author_id: 'nurse', entered_by: 'nurse2', read_by: [] }, team, 'full');
    expect(r.unread.map((x) => x.user_id)).toEqual(['doc', 'pharm', 'cm', 'helper']);
  });

  it('lists readers earliest first', () => {
    const r = receipts({ kind: 'note', author_id: 'x', read_by: [
      { user_id: 'cm', name: 'cm', profession: 'care_manager', read_at: '2026-12-04T03:00:00Z' },
      { user_id: 'doc', name: 'doc', profession: 'doctor', read_at: '2026-12-04T01:00:00Z' },
    ] }, team, 'full');
    expect(r.read.map((x) => x.user_id)).toEqual(['doc', 'cm']);
  });

  it('under a calendar-only consent no one reads chart records across the team', () => {
    expect(mayReadKind('doctor_note', m('n', 'nurse'), 'calendar_shared')).toBe(false);
    expect(mayReadKind('note', m('n', 'care_worker'), 'calendar_shared')).toBe(true);
    expect(mayReadKind('note', m('n', 'nurse', 'suspended'), 'full')).toBe(false);
    expect(mayReadKind('note', m('n', 'nurse'), 'none')).toBe(false);
  });
});
