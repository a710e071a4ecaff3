// The app's controller: wires the sync engine to the screens. Components read these
// signals and call these actions; they never talk to IndexedDB or the network.

import { signal } from '@preact/signals';
import { ApiError, NetworkError, isWipeCode } from './api';
import { awaitingMine, confirmedCopy } from './authorship';
import { DayClock } from './clock';
import type { Consent, DeviceSecret, MeBody, MutationType, Patient, PatientDetail, RecordDetail, RecordFields, Team, TeamMember, TOTPStart, Unread, User, VisitDetail, VitalTable, Vitals } from './schemas';
import { vitalTable } from './vitals';
import { Drafts } from './drafts';
import { occurrences } from './recurrence';
import { sinceLastVisit, type SinceLast } from './changes';
import { applyUpdate, createArgs, createdVisit, updateArgs, type Scope, type VisitForm } from './visits';
import { planResolution, type Choice } from './sync/conflicts';
import { getLang, loadLang, setLang, tokyoDay, type Lang, type MessageKey } from './i18n';
import { LockedError, Vault, wipeDevice } from './sync/crypto';
import { getMeta, openDatabase, setMeta, type DB } from './sync/db';
import { SyncEngine, type SyncStatus } from './sync/engine';
import { Entities, type EntityData } from './sync/entities';
import { Outbox, deviceId, type Conflict } from './sync/outbox';
import { Puller } from './sync/pull';
import { uuidv7 } from './sync/uuid';
import { deviceApi, onceAtATime } from './sync/wipe';
import { ensurePushSubscription, dropPushSubscription } from './push';
import { MarkedOnce, ReadPointers } from './channel-reads';

export type Phase = 'boot' | 'signin' | 'pin' | 'ready';
export type SignInStep = 'password' | 'totp' | 'change' | 'enrol';

/** Every request names this device; a wipe answer erases the device at once (sync/wipe.ts). */
export const api = deviceApi({
  db: () => db,
  wipe: async () => {
    await wipe();
    notice.value = 'pin.device_wiped';
  },
});
export const phase = signal<Phase>('boot');
/** A screen holding unsaved input (the record form) says whether the router may leave it for `to`. */
export const leaving: { guard: ((to: string) => boolean) | null } = { guard: null };
export const signInStep = signal<SignInStep>('password');
export const me = signal<User | null>(null);
/** TOTP enrolment in progress: the secret to type into an authenticator app. */
export const enrolment = signal<TOTPStart | null>(null);
export const lang = signal<Lang>(getLang());
export const notice = signal<MessageKey | null>(null);
export const status = signal<SyncStatus | null>(null);
export const unread = signal<Record<string, number>>({});
/** The team channel (連絡): per patient, unread messages by others and those of them mentioning me. */
export const unreadMessages = signal<Record<string, { messages: number; mentions: number }>>({});
/** Unread staff messages of others (GET /staff/threads, ui/inbox-badge.tsx), null before the first answer. */
export const staffUnread = signal<number | null>(null);
/** Needs a new vault (first sign-in on this device) rather than unlocking one. */
export const pinIsNew = signal(false);
/** Today in Tokyo; it moves at midnight and when the app comes back on another day. */
export const today = signal(tokyoDay());
const dayClock = new DayClock(
  { now: Date.now, setTimeout: (f, ms) => setTimeout(f, ms), clearTimeout: (h) => clearTimeout(h as number), targets: [window, document] },
  (d) => (today.value = d),
);

let db: DB;
let vault: Vault;
let outbox: Outbox;
let entities: Entities;
let engine: SyncEngine | null = null;
let pending: DeviceSecret | undefined; // fresh from the server, used by the next unlock
let hiddenAt = 0;
const IDLE_LOCK_MS = 10 * 60 * 1000;

async function open(): Promise<void> {
  db = await openDatabase();
  vault = new Vault(db);
  entities = new Entities(db, vault);
  // On a conflict the server's side replaces the optimistic local copy at once.
  outbox = new Outbox(db, vault, api, () => deviceId(db), { adopt: (e, d) => entities.put(e, d) });
}

export async function boot(): Promise<void> {
  await open();
  dayClock.start();
  document.addEventListener('visibilitychange', () => {
    // Prompt logout: a device left alone goes back to the PIN.
    if (document.visibilityState === 'hidden') hiddenAt = Date.now();
    else if (phase.value === 'ready' && hiddenAt && Date.now() - hiddenAt > IDLE_LOCK_MS) lock();
  });
  if (await vault.exists()) {
    pinIsNew.value = false;
    phase.value = 'pin';
    // Contact the server before the PIN: a device whose account was withdrawn
    // is told to wipe (the api does it); offline, the PIN opens the data.
    if (navigator.onLine) void api.request('GET', '/me').catch(() => undefined);
  } else phase.value = 'signin';
}

export async function switchLang(l: Lang): Promise<void> {
  await loadLang(l);
  setLang(l);
  lang.value = l;
}

/** Step 1 (and 2 with a TOTP code): sign in; the answer's stage says what comes next. */
export async function signIn(login_id: string, password: string, totp_code?: string): Promise<void> {
  let body: MeBody;
  try {
    body = await api.request<MeBody>('POST', '/session', { body: totp_code ? { login_id, password, totp_code } : { login_id, password } });
  } catch (e) {
    if (e instanceof ApiError && e.code === 'totp_required') {
      signInStep.value = 'totp';
      return;
    }
    if (e instanceof ApiError && (e.code === 'password_expired' || e.code === 'password_change_required')) {
      // The cookie now holds a restricted session that may only change the password.
      signInStep.value = 'change';
      return;
    }
    throw e;
  }
  await continueSession(body);
}

/** Runs the one step the session still needs (password change, TOTP enrolment), or finishes. */
async function continueSession(body: MeBody): Promise<void> {
  if (body.stage === 'password_change') {
    signInStep.value = 'change';
    return;
  }
  if (body.stage === 'totp_enrolment') {
    enrolment.value = await api.request<TOTPStart>('POST', '/me/totp');
    signInStep.value = 'enrol';
    return;
  }
  enrolment.value = null;
  await afterSession(body.user);
}

/** Expired or initial password: the server's restricted session allows only this change. */
export async function changePassword(login_id: string, current_password: string, new_password: string, totp_code?: string): Promise<void> {
  await api.request('PUT', '/me/password', { body: { current_password, new_password } });
  try {
    await continueSession(await api.request<MeBody>('GET', '/me'));
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 401)) throw e;
    signInStep.value = 'password';
    await signIn(login_id, new_password, totp_code);
  }
}

/** Finishes TOTP enrolment with the first code the authenticator shows. */
export async function confirmTotp(code: string): Promise<void> {
  await api.request('POST', '/me/totp/confirm', { body: { code } });
  await continueSession(await api.request<MeBody>('GET', '/me'));
}

async function afterSession(user: User): Promise<void> {
  const previous = await getMeta<string>(db, 'user_id');
  if (previous && previous !== user.id) {
    // Another person's data must never be readable by this user.
    await wipeDevice(db);
    await open();
    notice.value = 'pin.other_user';
  }
  await setMeta(db, 'user_id', user.id);
  me.value = user;
  pending = await api.request<DeviceSecret>('POST', '/devices', { body: { device_id: await deviceId(db) } });
  pinIsNew.value = !(await vault.exists());
  signInStep.value = 'password';
  phase.value = 'pin';
}

/** Opens the vault with the PIN (offline works while the device secret is valid). */
export async function unlock(pin: string): Promise<void> {
  try {
    await vault.unlock(pin, pending);
  } catch (e) {
    if (e instanceof LockedError && e.reason === 'wiped') {
      await open();
      notice.value = 'pin.wiped';
      phase.value = 'signin';
      return;
    }
    throw e;
  }
  pending = undefined;
  if (me.value) await entities.put('me', { ...me.value });
  else me.value = (await entities.get<User>('me', (await getMeta<string>(db, 'user_id')) ?? '')) ?? null;
  vitalTable.value = (await entities.get<VitalTable>('ref', 'vital_ranges')) ?? null;
  rangesAt = 0;
  startEngine();
  phase.value = 'ready';
  if (!location.hash || location.hash === '#/') location.hash = '#/today';
  void ensurePushSubscription(api).catch(() => undefined);
  void navigator.storage?.persist?.().catch(() => false);
}

function startEngine() {
  engine?.stop();
  const mine = new SyncEngine(outbox, new Puller(db, vault, api), {
    window,
    document,
    navigator,
    eventSource: typeof EventSource === 'undefined' ? undefined : (u) => new EventSource(u),
  });
  engine = mine;
  let lastSync: number | null = null;
  mine.status.subscribe((s) => {
    // A stopped engine's last run (e.g. the one a wipe ended) no longer speaks.
    if (engine !== mine) return;
    status.value = s;
    // Every finished sync (launch, SSE hint, reconnect, notification tap) refreshes the badges.
    if (s.lastSyncAt !== lastSync) {
      lastSync = s.lastSyncAt;
      void refreshUnread();
      void refreshRanges();
    }
    if (isWipeCode(s.error)) void wipe(); // the api has begun it already
    else if (!vault.unlocked) lock(); // the device secret expired while the app was open
  });
  void mine.start();
}

export function lock(): void {
  engine?.stop();
  engine = null;
  vault.lock();
  pinIsNew.value = false;
  phase.value = 'pin';
}

/** The PIN screen's way back to the server, e.g. when the device secret expired. */
export function toSignIn(): void {
  engine?.stop();
  engine = null;
  vault.lock();
  phase.value = 'signin';
}

export function syncNow(): void {
  void engine?.sync('manual');
}

export async function refreshUnread(): Promise<void> {
  try {
    await readPointers.flush(); // read pointers kept while offline, before the counts they lower
    const u = await api.request<Unread>('GET', '/me/unread');
    unread.value = Object.fromEntries((u.patients ?? []).map((p) => [p.patient_id, p.unread]));
    unreadMessages.value = Object.fromEntries((u.patients ?? []).map((p) => [p.patient_id, { messages: p.messages ?? 0, mentions: p.mentions ?? 0 }]));
  } catch {
    /* offline: keep the last badges */
  }
}

let rangesAt = 0;
/** The server's vital-sign table (flags, input limits), kept sealed on the device; fetched at most hourly. */
async function refreshRanges(): Promise<void> {
  if (Date.now() - rangesAt < 3600_000) return;
  try {
    const table = await api.request<VitalTable>('GET', '/vitals/ranges');
    rangesAt = Date.now();
    await entities.put('ref', table as unknown as EntityData, 'vital_ranges');
    vitalTable.value = table;
  } catch {
    /* offline: keep the held table */
  }
}

export async function signOut(): Promise<void> {
  await dropPushSubscription(api).catch(() => undefined);
  await api.request('DELETE', '/session').catch(() => undefined);
  await wipe();
}

/** Deletes everything on this device and returns to sign-in (once, however many ask at the same time). */
export const wipe = onceAtATime(async () => {
  engine?.stop();
  engine = null;
  pending = undefined;
  phase.value = 'signin'; // the screens go before the key does, so none reads a locked vault
  await vault.wipe();
  me.value = null;
  vitalTable.value = null;
  status.value = null;
  unread.value = {};
  unreadMessages.value = {};
  staffUnread.value = null; // the next user must not see this one's count
  markedRead.clear();
  await open();
  phase.value = 'signin';
});

// --- reads for the screens (they re-run when status.revision changes) ---

/**
 * A record as the device holds it: `pending` until the server has the create or
 * amendment; `confirm_pending` while the author's confirmation waits to be sent.
 */
export type LocalRecord = RecordDetail & { pending?: boolean; confirm_pending?: boolean; source_message_id?: string | null };

export const listPatients = () => entities.list<Patient>('patient');
export const getPatient = (id: string) => entities.get<Patient>('patient', id);
export const listRecords = (patientId: string) => entities.list<LocalRecord>('record', patientId);
/** Visits starting on Tokyo days from..to (YYYY-MM-DD), series expanded on the device. */
export async function listVisits(from: string, to: string, patientId?: string): Promise<VisitDetail[]> {
  const vs = await entities.list<VisitDetail>('visit', patientId);
  return vs.flatMap((v) => occurrences(v, from, to)).sort((a, b) => a.starts_at.localeCompare(b.starts_at));
}
export const getRecord = (id: string) => entities.get<LocalRecord>('record', id);
export const getVisit = (id: string) => entities.get<VisitDetail>('visit', id);
export const listTeam = async (patientId: string): Promise<TeamMember[]> => (await entities.get<Team>('team', patientId))?.members ?? [];
/** The team this device holds, or undefined when sync has none (a patient it does not hold). */
export const heldTeam = async (patientId: string): Promise<TeamMember[] | undefined> => (await entities.get<Team>('team', patientId))?.members ?? undefined;
/** Keeps the team the server answered after an add or a removal (the next pull confirms it) and refreshes the screens. */
export async function storeTeam(patientId: string, members: TeamMember[]): Promise<void> {
  await entities.put('team', { patient_id: patientId, members }, patientId);
  await engine?.changed();
}
export const listConflicts = (): Promise<Conflict[]> => outbox.conflicts();

/** Records on this device awaiting my confirmation (確定待ち), across my patients. */
export async function listAwaiting(): Promise<LocalRecord[]> {
  return awaitingMine(await entities.list<LocalRecord>('record'), me.value?.id ?? '');
}

/**
 * A record with its versions, read from the server (the device keeps only the
 * current version). Offline, or before the server has it, the local copy
 * without history; null when neither has it.
 */
export async function recordHistory(id: string): Promise<{ record: LocalRecord; online: boolean } | null> {
  try {
    return { record: await api.request<RecordDetail>('GET', `/records/${encodeURIComponent(id)}`), online: true };
  } catch {
    const local = await getRecord(id);
    return local ? { record: local, online: false } : null;
  }
}

/** "What changed since my last visit" to the patient of visit `v`. */
export async function changesBefore(v: VisitDetail, now = new Date().toISOString()): Promise<SinceLast> {
  const [records, visits] = await Promise.all([listRecords(v.patient_id), entities.list<VisitDetail>('visit', v.patient_id)]);
  return sinceLastVisit({ userId: me.value?.id ?? '', records, visits, now, before: v.starts_at, exclude: { id: v.id, occurrence_start: v.occurrence_start } });
}
export async function deviceCounts() {
  const [patients, records, waiting, blobs] = await Promise.all([
    db.countFromIndex('entities', 'entity', 'patient'),
    db.countFromIndex('entities', 'entity', 'record'),
    outbox.pendingCount(),
    outbox.blobCount(),
  ]);
  return { patients, records, waiting, blobs };
}

// --- writes: queued locally, shown at once, sent by the engine ---

async function mutate(type: MutationType, args: Record<string, unknown>, baseVersion?: number, local?: [string, Record<string, unknown>]) {
  await outbox.enqueue(type, args, baseVersion);
  if (local) await entities.put(local[0], local[1]);
  await engine?.changed();
}

export interface NewRecord {
  patient_id: string;
  kind: RecordDetail['kind'];
  occurred_at: string;
  text: string;
  vitals: RecordDetail['vitals'];
  visit_id?: string;
  next_visit_on?: string;
  plan_changed: boolean;
  fields?: RecordFields;
  care_notes?: string;
  photos: Uint8Array[];
  /** 代行入力: the team member this record is entered for, who becomes its author. */
  on_behalf_of?: string;
  /** 「記録にする」: the team-channel message this record is made from. */
  source_message_id?: string;
}

/** Queues record.create (args = the REST body + patient_id; args.id = the record's UUIDv7). */
export async function createRecord(r: NewRecord): Promise<void> {
  const attachment_ids: string[] = [];
  for (const p of r.photos) attachment_ids.push(await outbox.addBlob(p, 'image/jpeg', r.patient_id));
  const { photos: _photos, on_behalf_of, ...rest } = r;
  const args: Record<string, unknown> = { ...rest, id: uuidv7(), attachment_ids };
  if (on_behalf_of) args.on_behalf_of = on_behalf_of;
  const myId = me.value?.id ?? '';
  const local: Partial<LocalRecord> = {
    ...rest, id: args.id as string, attachment_ids, author_id: on_behalf_of ?? myId, entered_by: myId,
    awaiting_confirmation: !!on_behalf_of, read_by_me: true, status: 'final', version: 1, pending: true,
  };
  await mutate('record.create', args, undefined, ['record', local]);
}

/**
 * Queues record.confirm (確定) of the version the author sees. Offline it waits in
 * the outbox; if someone replaced that version meanwhile, the answer is a conflict
 * with the current record, shown in the conflict view.
 */
export async function confirmRecord(rec: LocalRecord): Promise<void> {
  const local = confirmedCopy(rec, me.value?.id ?? '', new Date().toISOString());
  await mutate('record.confirm', { record_id: rec.id, version: rec.version }, undefined, ['record', local]);
}

export async function markRead(rec: LocalRecord): Promise<void> {
  await mutate('record.read', { record_id: rec.id }, undefined, ['record', { ...rec, read_by_me: true }]);
}

/**
 * Queues visit.update based on version `base` (what the user saw); the change
 * shows at once on the copy the device holds now, one version on.
 */
async function updateVisitWith(base: number, args: Record<string, unknown>, current: VisitDetail): Promise<void> {
  const local = applyUpdate(current, args, me.value?.id ?? '', new Date().toISOString());
  await mutate('visit.update', args, base, ['visit', local as unknown as Record<string, unknown>]);
}

/** Sets the status of a visit, or of one occurrence of a series (by occurrence_start). */
export async function setVisitStatus(v: VisitDetail, s: VisitDetail['status']): Promise<void> {
  const stored = (await entities.get<VisitDetail>('visit', v.id)) ?? v;
  const args: Record<string, unknown> = { visit_id: v.id, status: s };
  if (v.occurrence_start && stored.recurrence) args.occurrence_start = v.occurrence_start;
  await updateVisitWith(stored.version, args, stored);
}

/** Queues visit.create (a single visit or a weekly series); returns the new visit's id. */
export async function createVisit(patientId: string, f: VisitForm): Promise<string> {
  const id = uuidv7();
  const args = createArgs(patientId, id, f);
  await mutate('visit.create', args, undefined, ['visit', createdVisit(args, me.value?.id ?? '', new Date().toISOString()) as unknown as Record<string, unknown>]);
  return id;
}

/**
 * Queues the edit of `occ` (a visit, or an occurrence of `series`) for `scope`,
 * both as the editor opened them: the change is what differs from that, on that
 * version, so a change someone made meanwhile comes back as a conflict instead
 * of being quietly reverted. False when nothing changed.
 */
export async function editVisit(occ: VisitDetail, series: VisitDetail, f: VisitForm, scope: Scope): Promise<boolean> {
  const args = updateArgs(occ, series, f, scope);
  if (!args) return false;
  const current = (await entities.get<VisitDetail>('visit', series.id)) ?? series;
  await updateVisitWith(series.version, args, current);
  return true;
}

export interface Amendment { reason: string; text: string; vitals?: Vitals; fields?: RecordFields; care_notes?: string; next_visit_on?: string; plan_changed?: boolean; entered_in_error: boolean }

/** Queues record.amend on the version the device holds (a stale one comes back as a conflict). */
export async function amendRecord(rec: LocalRecord, a: Amendment): Promise<void> {
  const content: Record<string, unknown> = { text: a.text };
  if (a.vitals) content.vitals = a.vitals;
  if (a.fields) content.fields = a.fields;
  if (a.care_notes !== undefined) content.care_notes = a.care_notes;
  if (a.next_visit_on !== undefined) content.next_visit_on = a.next_visit_on;
  if (a.plan_changed !== undefined) content.plan_changed = a.plan_changed;
  if (a.entered_in_error) content.status = 'entered_in_error';
  const args = { record_id: rec.id, reason: a.reason, base_version: rec.version, ...content };
  await mutate('record.amend', args, undefined, ['record', { ...rec, ...content, version: rec.version + 1, pending: true }]);
}

/** Settles a conflict by the user's choice (see sync/conflicts.ts). */
export async function resolveConflict(id: string, choice: Choice, extra: { reason?: string; text?: string; vitals?: Vitals } = {}): Promise<void> {
  const c = await outbox.conflict(id);
  if (!c) return;
  const server = c.server as { id?: string } | null;
  const entity = c.mutation.type === 'visit.update' ? 'visit' : 'record';
  const current = server?.id ? await entities.get(entity, server.id) : undefined;
  const plan = planResolution(c, choice, { current, userId: me.value?.id ?? '', now: new Date().toISOString(), ...extra });
  if (plan.next) await outbox.resolve(id, plan.next);
  else await outbox.resolve(id);
  if (plan.local) await entities.put(plan.local.entity, plan.local.data);
  await engine?.changed();
}

/**
 * Lets a refused mutation go. The device's optimistic copy of a refused record
 * create or confirmation is wrong, so the record is read again from the server;
 * a create the server never took (404) leaves the device.
 */
export async function dismissProblem(id: string): Promise<void> {
  const f = status.value?.failed.find((x) => x.id === id);
  await outbox.dismiss(id);
  if (f?.subject && (f.type === 'record.create' || f.type === 'record.confirm')) {
    try {
      const { versions: _v, ...r } = await api.request<RecordDetail>('GET', `/records/${encodeURIComponent(f.subject)}`);
      await entities.put('record', r);
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) await entities.delete('record', f.subject);
    }
  }
  // A message the server refused was never sent: its waiting copy goes (the channel screen
  // has put its text back into the composer first, so it can be edited and sent again).
  if (f?.subject && f.type === 'message.create') await entities.delete('message', f.subject);
  await engine?.changed();
}

/** Half-written records (下書き), sealed in the entity store like the rest (drafts.ts). */
export const drafts = new Drafts({
  get: (e, id) => entities.get(e, id),
  put: (e, d, id) => entities.put(e, d, id),
  delete: (e, id) => entities.delete(e, id),
  list: (e, p) => entities.list(e, p),
});

export function describeError(e: unknown): string {
  if (e instanceof NetworkError) return 'network';
  if (e instanceof ApiError) return e.code;
  if (e instanceof LockedError) return e.reason;
  return 'unknown';
}

// --- onboarding: registering a patient, consents (同意書) ---

/** A consent as the patient screen shows it: `pending` while consent.create waits in the outbox. */
export type LocalConsent = Consent & { patient_id?: string; pending?: boolean };

/** Registers a patient (POST /patients, online only) and keeps the answer on the device. */
export async function registerPatient(body: Record<string, string>): Promise<Patient> {
  const p = await api.request<Patient>('POST', '/patients', { body: { ...body, id: uuidv7() } });
  await entities.put('patient', p as unknown as EntityData);
  await engine?.changed();
  return p;
}

export interface NewConsent {
  patient_id: string;
  obtained_on: string;
  scope: Consent['scope'];
  obtained_by: string;
  /** The photographed pages of the signed form, in order (JPEG). */
  pages: Uint8Array[];
}

/**
 * Queues consent.create like a record with photos: the pages wait as blobs, the
 * outbox uploads them before the mutation. Shown at once as pending.
 */
export async function createConsent(c: NewConsent): Promise<string> {
  const attachment_ids: string[] = [];
  for (const p of c.pages) attachment_ids.push(await outbox.addBlob(p, 'image/jpeg', c.patient_id));
  const { pages: _pages, ...rest } = c;
  const id = uuidv7();
  const local: LocalConsent = {
    ...rest, id, attachment_ids, attachment_id: attachment_ids[0], recorded_by: me.value?.id ?? '', recorded_at: new Date().toISOString(),
    active: true, pending: true,
  };
  await mutate('consent.create', { ...rest, id, attachment_ids }, undefined, ['consent', local as unknown as EntityData]);
  return id;
}

/**
 * The patient's consents, newest first: the server's (online), with those still
 * waiting on this device first. A local copy the server has is dropped. Offline,
 * only the waiting ones, and `online` false.
 */
export async function listConsents(patientId: string): Promise<{ consents: LocalConsent[]; online: boolean }> {
  const local = (await entities.list<LocalConsent>('consent', patientId)).sort((a, b) => b.recorded_at.localeCompare(a.recorded_at));
  let server: Consent[];
  try {
    server = (await api.request<PatientDetail>('GET', `/patients/${encodeURIComponent(patientId)}`)).consents ?? [];
  } catch {
    return { consents: local, online: false };
  }
  const known = new Set(server.map((c) => c.id));
  for (const c of local) if (known.has(c.id)) await entities.delete('consent', c.id);
  return { consents: [...local.filter((c) => !known.has(c.id)), ...server], online: true };
}

/** Withdraws a consent (online): sharing with the team stops at once. */
export async function withdrawConsent(patientId: string, consentId: string, reason: string): Promise<void> {
  await api.request('POST', `/patients/${encodeURIComponent(patientId)}/consents/${encodeURIComponent(consentId)}/withdraw`, { body: { reason } });
  await engine?.changed();
}


// --- D: the doctor's digest, kept sealed on the device so that it reads offline ---

/** The last digest fetched on this device, with when (undefined if none). */
export const cachedDigest = <T>() => entities.get<T>('digest', 'me');
export const cacheDigest = (d: EntityData) => entities.put('digest', d, 'me');

// --- the team channel (連絡): its controller (channel-state.ts) loads with its screens ---

/** The device's stores for controllers loaded on first use; valid while the app is unlocked. */
export const device = {
  entities: () => entities,
  outbox: () => outbox,
  changed: async () => engine?.changed(),
};
/** My read pointers of the patients' threads, kept while offline (channel-reads.ts). */
export const readPointers = new ReadPointers(() => api, () => entities);
/** The read pointers moved in this run (channel-state.ts); cleared with the rest on a wipe. */
export const markedRead = new MarkedOnce();
