import { describe, expect, it } from 'vitest';
import { isOffice, showsAdmin } from './ui/admin-entry';
import type { User } from './schemas';

const user = (over: Partial<User>): User => ({
  id: 'u', created_at: '2026-01-01T00:00:00Z', name: 'n', name_kana: 'n', must_change_password: false,
  profession: 'nurse', roles: [], status: 'active', totp_enabled: true, ...over,
});

describe('the network office', () => {
  it('is a network admin of no facility and no profession: its home is the console', () => {
    expect(isOffice(user({ profession: 'other', roles: ['network_admin'] }))).toBe(true);
    expect(isOffice(user({ profession: '', roles: ['network_admin'] }))).toBe(true);
    // A clinician who also runs the network keeps the clinician app.
    expect(isOffice(user({ profession: 'doctor', roles: ['network_admin'], facility_id: 'f' }))).toBe(false);
    expect(isOffice(user({ profession: 'other', roles: ['network_admin'], facility_id: 'f' }))).toBe(false);
    expect(isOffice(user({ profession: 'other', roles: ['facility_admin'] }))).toBe(false);
    expect(isOffice(user({ profession: 'other', roles: null }))).toBe(false);
    expect(isOffice(null)).toBe(false);
    expect(showsAdmin(user({ profession: 'other', roles: ['network_admin'] }))).toBe(true);
  });
});
