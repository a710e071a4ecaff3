// Names for the API shapes the app uses. Every shape comes from src/api-types.ts,
// which `npm run gen:api` generates from the committed contract (../api/openapi.yaml);
// this file only gives them short names, so a contract change shows up here as a
// type error instead of as a surprise on an iPad.

import type { components } from './api-types';

type S = components['schemas'];

export type Problem = S['Problem'];
export type User = S['UserOut'];
export type MeBody = S['MeBody'];
export type Stage = MeBody['stage'];
export type SessionRequest = S['SignInInputBody'];
export type PasswordChange = S['ChangePasswordInputBody'];
export type TOTPStart = S['TOTPStartOutputBody'];
export type Patient = S['PatientOut'];
export type TeamMember = S['TeamMemberOut'];
/** Pull entity `team`: one per patient, id = patient id. */
export interface Team { patient_id: string; members: TeamMember[] | null }
export type RecordKind = S['CreateRecordInputBody']['kind'];
export type Vitals = S['Vitals'];
export type RecordDetail = S['RecordDetail'];
export type RecordOut = S['RecordOut'];
export type VersionOut = S['VersionOut'];
export type AmendRecordBody = S['AmendRecordInputBody'];
export type NewRecordBody = S['CreateRecordInputBody'];
export type Recurrence = S['Recurrence'];
export type VisitDetail = S['VisitDetail'];
export type VisitException = S['VisitExceptionOut'];
export type MyVisit = S['MyVisitOut'];
export type VisitKind = VisitDetail['kind'];
export type VisitStatus = VisitDetail['status'];
export type UpdateVisitBody = S['UpdateVisitInputBody'];
export type Profession = NonNullable<S['UpdateUserInputBody']['profession']>;
export type DeviceSecret = S['DeviceOutputBody'];
export type Attachment = S['AttachmentOut'];
export type Consent = S['ConsentOut'];
export type PatientDetail = S['PatientDetail'];

// --- sync ---
export type MutationIn = Omit<S['MutationIn'], 'args'> & { args: Record<string, unknown> };
export type MutationType = MutationIn['type'];
export type PushRequest = S['PushInputBody'];
export type PushResult = S['MutationResult'];
export type PushStatus = PushResult['status'];
export type PushResponse = S['PushOutputBody'];
export type Change = S['ChangeOut'];
export type Reset = S['Reset'];
export type PullResponse = S['PullOutputBody'];

// --- notifications ---
export type PushKey = S['PushKeyOutputBody'];
export type PushSubscriptionIn = S['SubscriptionInputBody'];
export type Unread = S['UnreadOutputBody'];
/** The Web Push payload the server sends (generic text, opaque ids). */
export interface PushPayload { type?: string; patient_id?: string; record_id?: string; title?: string; body?: string }
// C — record search
export type SearchHit = S['SearchHitOut'];
