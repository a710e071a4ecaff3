// The team channel's controller (連絡), loaded with its screens: the thread as the
// device holds it, writing through the outbox (message.create, offline too), reading
// newer and older pages from the server when online, retraction, the read pointer
// and my mentions across patients. Screens call these; they never reach the stores.

import { ApiError, NetworkError } from './api';
import { newMessage, orderThread, stored, type Draft, type LocalMessage, type Message } from './channel';
import { api, device, markedRead, me, readPointers, refreshUnread } from './state';
import type { MessageOut, MessagesPage, TeamMember } from './schemas';
import type { EntityData } from './sync/entities';
import { uuidv7 } from './sync/uuid';

/** A page of messages, newest first (the thread or my mentions); `next` names the page before it. */
export type Page = MessagesPage;

/** Keeps a message on the device (sealed, under its patient, so a purge drops it). */
const keepMessage = (m: LocalMessage) => device.entities().put('message', m as unknown as EntityData);

export const listMessages = (patientId: string) => device.entities().list<LocalMessage>('message', patientId);
export const getMessage = (id: string) => device.entities().get<LocalMessage>('message', id);

/** The patient's thread on this device, oldest first, waiting ones last. */
export async function thread(patientId: string): Promise<LocalMessage[]> {
  return orderThread(await listMessages(patientId));
}

/**
 * Reads a page of the thread from the server (newest first; `before` a message id
 * for older ones) and keeps its messages on the device like pulled ones. Answers
 * the page (with read receipts), or null offline.
 */
export async function fetchPage(patientId: string, before?: string, limit = 50): Promise<Page | null> {
  let page: Page;
  try {
    page = await api.request<Page>('GET', `/patients/${encodeURIComponent(patientId)}/messages`, { query: { before, limit } });
  } catch (e) {
    if (e instanceof NetworkError) return null;
    throw e;
  }
  for (const m of page.items ?? []) if (m.patient_id === patientId) await keepMessage(stored(m));
  return page;
}

export interface Outgoing extends Omit<Draft, 'attachmentIds'> {
  /** Photos as JPEG bytes (photo.ts downscale); they wait as blobs and go up before the message. */
  photos: Uint8Array[];
}

/**
 * Queues message.create and shows the message at once as waiting; the outbox
 * uploads its photos and sends it once (the server's ledger drops a re-send).
 * Returns the message's id.
 */
export async function sendMessage(patientId: string, d: Outgoing, team: TeamMember[]): Promise<string> {
  const u = me.value;
  if (!u) throw new ApiError(401, { code: 'unauthenticated' });
  const outbox = device.outbox();
  const attachmentIds: string[] = [];
  for (const p of d.photos) attachmentIds.push(await outbox.addBlob(p, 'image/jpeg', patientId));
  const { args, local } = newMessage(patientId, uuidv7(), { text: d.text, replyTo: d.replyTo, urgent: d.urgent, attachmentIds }, team,
    { id: u.id, name: u.name, profession: u.profession }, new Date().toISOString());
  await outbox.enqueue('message.create', args);
  await keepMessage(local);
  await device.changed();
  return local.id;
}

/** Retracts my message (online: the server keeps the text and shows others 「取り消されました」). */
export async function retractMessage(m: LocalMessage): Promise<void> {
  const out = await api.request<MessageOut>('POST', `/messages/${encodeURIComponent(m.id)}/retract`);
  await keepMessage(stored(out));
  await device.changed();
}

/**
 * Viewing the thread moves my read pointer to `upTo` (once per message seen); kept
 * on the device when offline and sent after the next sync. The badges follow.
 */
export async function markThreadRead(patientId: string, upTo: string | undefined): Promise<void> {
  const user = me.value?.id;
  if (!upTo || !user || !markedRead.first(user, patientId, upTo)) return;
  if (await readPointers.mark(patientId, upTo)) await refreshUnread();
}

/**
 * Messages mentioning me across my patients, newest first: the server's (online,
 * with read receipts); offline, those on this device, and `online` false.
 */
export async function myMentions(before?: string, limit = 30): Promise<{ items: Message[]; next?: string | null; online: boolean }> {
  try {
    const p = await api.request<Page>('GET', '/me/mentions', { query: { before, limit } });
    return { items: p.items ?? [], next: p.next, online: true };
  } catch (e) {
    if (!(e instanceof NetworkError)) throw e;
    const myId = me.value?.id ?? '';
    const all = await device.entities().list<LocalMessage>('message');
    const mine = all.filter((m) => m.mentions?.includes(myId) && m.author_id !== myId);
    return { items: orderThread(mine).reverse(), online: false };
  }
}
