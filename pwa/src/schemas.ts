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

// --- E: read receipts (record view) ---
export type ReaderOut = S['ReaderOut'];
// --- slice A: forms (the vital-sign table, the fields of each kind) ---
export type VitalRange = S['VitalRange'];
export type VitalTable = S['VitalRangesOutputBody'];
export type RecordFields = S['RecordFields'];
export type Drug = S['Drug'];
// --- e-mail notification and preferences (slice H) ---
export type NotifyPreferences = S['PreferencesBody'];
export type NotifyPreferencesOut = S['PreferencesOutputBody'];
export type EmailState = S['EmailState'];
export type Channel = S['KindChannels']['record'];
// --- D: the doctor's digest and the 在宅医療情報連携加算 report ---
export type Digest = S['DigestBody'];
export type DigestPatient = S['DigestPatient'];
export type DigestSeen = S['DigestSeenOutputBody'];
export type CollabReport = S['CollabReport'];
export type CollabItem = S['CollabItem'];
// C — record search
export type SearchHit = S['SearchHitOut'];
// The team channel (連絡)
export type MessageOut = S['MessageOut'];
export type MessagesPage = S['MessagesOutputBody'];
