// Staff messages (スタッフ連絡): the framework-free part of ui/inbox.tsx — the
// requests, the rules the server applies to a message (checked before sending so
// the user hears of them at once), and how threads and pages are shown. Staff
// messages are online only: they hold no patient data and are not kept on the device.

import type { Api } from './api';
import type { components } from './api-types';
import { downscale } from './photo';
import { uuidv7 } from './sync/uuid';

type S = components['schemas'];
export type StaffThread = S['StaffThreadOut'];
export type StaffMessage = S['StaffMessageOut'];
export type StaffUser = S['UserOut'];

export const MAX_TEXT = 2000;
export const MAX_PHOTOS = 6;

/** Whom a new message goes to: a person (their pair thread) or the caller's facility. */
export type Recipient = { userId: string } | { facilityId: string };

export type DraftError = 'inbox.err_text_empty' | 'inbox.err_text_long' | 'inbox.err_photos' | 'inbox.err_no_recipient';

/** The id of the message being written. It stays the same across retries: when a send's
 * answer is lost the server already has the message, and a retry with the same id and
 * body is answered 200 without posting it twice. A new id only once a send succeeded. */
export class DraftId {
  current = uuidv7();
  sent(): void {
    this.current = uuidv7();
  }
}

/** The POST /staff/messages body of a draft (id from DraftId), or the first rule it breaks (the server's rules). */
export function messageBody(to: Recipient | null, text: string, attachmentIds: string[], id: string):
  { body: S['CreateStaffMessageInputBody'] } | { error: DraftError } {
  if (!to) return { error: 'inbox.err_no_recipient' };
  if (!text.trim()) return { error: 'inbox.err_text_empty' };
  if ([...text].length > MAX_TEXT) return { error: 'inbox.err_text_long' };
  if (attachmentIds.length > MAX_PHOTOS) return { error: 'inbox.err_photos' };
  const body: S['CreateStaffMessageInputBody'] = { id, text };
  if ('userId' in to) body.to_user_id = to.userId;
  else body.facility_id = to.facilityId;
  if (attachmentIds.length) body.staff_attachment_ids = attachmentIds;
  return { body };
}

/** Threads with unread messages first, then by the latest message; the facility's before an empty pair. */
export function sortThreads(ts: StaffThread[]): StaffThread[] {
  const at = (t: StaffThread) => (t.last_message_at ? Date.parse(t.last_message_at) : 0);
  return [...ts].sort((a, b) => Number(b.unread > 0) - Number(a.unread > 0) || at(b) - at(a) || (a.kind === 'facility' ? -1 : 1));
}

export function totalUnread(ts: StaffThread[]): number {
  return ts.reduce((n, t) => n + (t.unread || 0), 0);
}

/** The pair thread with user `userId`, if there is one. */
export function threadWith(ts: StaffThread[], userId: string): StaffThread | undefined {
  return ts.find((t) => t.kind === 'direct' && t.other_user_id === userId);
}

/** Merges a page into the messages shown (oldest first, each once). */
export function mergeMessages(shown: StaffMessage[], page: StaffMessage[]): StaffMessage[] {
  const byId = new Map(shown.map((m) => [m.id, m]));
  for (const m of page) byId.set(m.id, m);
  return [...byId.values()].sort((a, b) => a.seq - b.seq);
}

/** The message to mark read up to: the newest shown, when it is past the read position. */
export function readUpTo(thread: StaffThread, shown: StaffMessage[]): string | undefined {
  const last = shown[shown.length - 1];
  return last && last.seq > thread.read_seq ? last.id : undefined;
}

/** Candidates of a staff search: never oneself. */
export function recipients(users: StaffUser[], meId: string): StaffUser[] {
  return users.filter((u) => u.id !== meId && u.status === 'active');
}

// Requests.

export async function listThreads(api: Api): Promise<{ items: StaffThread[]; unread: number }> {
  const r = await api.request<S['StaffThreadsOutputBody']>('GET', '/staff/threads');
  return { items: r.items ?? [], unread: r.unread };
}

export async function listMessages(api: Api, threadId: string, before?: string):
  Promise<{ thread: StaffThread; items: StaffMessage[]; next?: string }> {
  const r = await api.request<S['StaffMessagesOutputBody']>('GET', `/staff/threads/${encodeURIComponent(threadId)}/messages`,
    { query: { before, limit: 50 } });
  return { thread: r.thread, items: r.items ?? [], next: r.next };
}

export function sendMessage(api: Api, body: S['CreateStaffMessageInputBody']): Promise<StaffMessage> {
  return api.request<StaffMessage>('POST', '/staff/messages', { body });
}

export function markRead(api: Api, threadId: string, upTo: string): Promise<StaffThread> {
  return api.request<StaffThread>('POST', `/staff/threads/${encodeURIComponent(threadId)}/read`, { body: { up_to: upTo } });
}

export async function searchStaff(api: Api, q: string, meId: string): Promise<StaffUser[]> {
  const r = await api.request<{ users: StaffUser[] | null }>('GET', '/users', { query: { q: q.trim(), status: 'active', limit: 20 } });
  return recipients(r.users ?? [], meId);
}

/** Uploads a photo (downscaled, EXIF dropped) and returns its staff attachment id. */
export async function uploadPhoto(api: Api, file: Blob, shrink: (b: Blob) => Promise<Blob> = downscale): Promise<string> {
  const id = uuidv7();
  await api.request('PUT', `/staff/attachments/${id}`, { body: await shrink(file), contentType: 'image/jpeg' });
  return id;
}

/** The thumbnail's address: the API answers 303 to a short-lived signed URL. */
export const thumbnailURL = (id: string) => `/api/v1/staff/attachments/${encodeURIComponent(id)}/thumbnail?redirect=1`;
export const photoURL = (id: string) => `/api/v1/staff/attachments/${encodeURIComponent(id)}?redirect=1`;
