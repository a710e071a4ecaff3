// The office console's calls to the server (CONTRACT.md, "Admin API" and "Alerts").
// Everything goes through the app's one api, so the device header and the wipe
// answers work here as everywhere.

import { api, describeError } from '../state';
import {
  auditQuery, matchesStaff, staffQuery,
  type AccountStatus, type Alert, type AuditEvent, type AuditFilter, type Disclosure, type Facility, type FacilityKind, type Profession, type Staff, type StaffFilter,
} from './logic';

const id = (s: string) => encodeURIComponent(s);

export const listFacilities = async (): Promise<Facility[]> =>
  (await api.request<{ facilities: Facility[] | null }>('GET', '/facilities')).facilities ?? [];

export interface FacilityForm { name: string; name_kana: string; kind: FacilityKind; disclosure: Disclosure; office_number: string }
export const createFacility = (f: FacilityForm) => api.request<Facility>('POST', '/facilities', { body: f });
export const updateFacility = (facilityId: string, changed: Partial<FacilityForm>) =>
  api.request<Facility>('PATCH', `/facilities/${id(facilityId)}`, { body: changed });

/** The staff search; the answer is narrowed by the same filter (see matchesStaff). */
export async function searchStaff(f: StaffFilter): Promise<Staff[]> {
  const r = await api.request<{ users: Staff[] | null }>('GET', '/users', { query: staffQuery(f) });
  return (r.users ?? []).filter((u) => matchesStaff(u, f));
}

export interface NewStaff { login_id: string; name: string; name_kana: string; profession: Profession; facility_id: string; roles: string[]; password: string }
export const createStaff = (u: NewStaff) => api.request<Staff>('POST', '/users', { body: u });
export const setStatus = (userId: string, status: AccountStatus) => api.request<Staff>('PATCH', `/users/${id(userId)}`, { body: { status } });
export const resetPassword = (userId: string) =>
  api.request<{ temporary_password: string; user: Staff }>('POST', `/users/${id(userId)}/password-reset`);
export const resetTotp = (userId: string) => api.request<Staff>('POST', `/users/${id(userId)}/totp-reset`);

export const auditPage = (f: AuditFilter, before?: number, limit?: number) =>
  api.request<{ events: AuditEvent[] | null; next?: number }>('GET', '/audit', { query: auditQuery(f, before, limit) });

export const listAlerts = async (status: 'open' | 'acknowledged'): Promise<Alert[]> =>
  (await api.request<{ alerts: Alert[] | null }>('GET', '/alerts', { query: { status } })).alerts ?? [];
export const acknowledgeAlert = (alertId: string, note: string) =>
  api.request<Alert>('POST', `/alerts/${id(alertId)}/acknowledge`, { body: { note } });

/** The error code to show for a failed request. */
export const failure = (e: unknown): string => describeError(e);
