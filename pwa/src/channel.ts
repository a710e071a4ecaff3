// The patient's team channel (連絡), the rules the screens follow: the order of the
// thread and its days, @mention completion from the patient's team, which members a
// text mentions, the message.create arguments with the copy shown at once while it
// waits in the outbox, and which messages are new to me. Framework-free and pure,
// so each rule has its own tests (channel.test.ts).

import { toHiragana, tokyoDay } from './i18n';
import type { TeamMember } from './schemas';

/** A message as the server answers it (GET, POST, pull entity `message` without read_by). */
export interface Message {
  id: string;
  patient_id: string;
  author_id: string;
  author_name: string;
  profession: string;
  /** "" for a retracted message of someone else; the author keeps the text. */
  text: string;
  reply_to?: string | null;
  mentions?: string[] | null;
  attachment_ids?: string[] | null;
  urgent?: boolean;
  retracted?: boolean;
  created_at: string;
  read_by?: { user_id: string; read_at: string }[] | null;
  /** Records made from this message (「記録にする」). */
  record_ids?: string[] | null;
}

/** A message as the device holds it: `pending` until the server has the create. */
export type LocalMessage = Message & { pending?: boolean };

export const MAX_TEXT = 2000;

const byTime = (a: Message, b: Message) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id);

/**
 * Oldest first, newest at the bottom. Messages still waiting on this device come
 * after everything the server has, in the order they were written: the server
 * gives them its own time when they arrive, which is after what it holds now.
 */
export function orderThread<M extends LocalMessage>(msgs: M[]): M[] {
  const sent = msgs.filter((m) => !m.pending).sort(byTime);
  const waiting = msgs.filter((m) => m.pending).sort(byTime);
  return [...sent, ...waiting];
}

export interface Day<M> { day: string; items: M[] }

/** Consecutive messages of one Tokyo calendar day (YYYY-MM-DD), in thread order. */
export function byDay<M extends Message>(ordered: M[]): Day<M>[] {
  const out: Day<M>[] = [];
  for (const m of ordered) {
    const d = tokyoDay(m.created_at);
    const last = out[out.length - 1];
    if (last && last.day === d) last.items.push(m);
    else out.push({ day: d, items: [m] });
  }
  return out;
}

/** Up to which message viewing the thread has read: the newest the server has, or undefined. */
export function readUpTo(ordered: LocalMessage[]): string | undefined {
  for (let i = ordered.length - 1; i >= 0; i--) if (!ordered[i]!.pending) return ordered[i]!.id;
  return undefined;
}

/**
 * The ids of the messages that are new to me: the newest `unread` ones by others
 * (the server counts unread messages by others, /me/unread).
 */
export function newToMe(ordered: LocalMessage[], unread: number, myId: string): Set<string> {
  const out = new Set<string>();
  for (let i = ordered.length - 1; i >= 0 && out.size < unread; i--) {
    const m = ordered[i]!;
    if (!m.pending && m.author_id !== myId) out.add(m.id);
  }
  return out;
}

// --- @mentions ---

export interface MentionQuery {
  /** Index of the @ in the text. */
  start: number;
  /** What was typed after the @, up to the caret. */
  query: string;
}

const AT = /[@＠]/;

/**
 * The mention being typed at `caret`: an @ (or full-width ＠) followed by no space,
 * not glued to a Latin letter or digit before it (an e-mail address is not a
 * mention). Japanese text has no spaces, so 「先生@山田」 is one.
 */
export function mentionQuery(text: string, caret: number): MentionQuery | undefined {
  const before = text.slice(0, caret);
  for (let i = before.length - 1; i >= 0 && before.length - i <= 21; i--) {
    const c = before[i]!;
    if (/\s/.test(c)) return undefined;
    if (!AT.test(c)) continue;
    if (i > 0 && /[A-Za-z0-9._%+-]/.test(before[i - 1]!)) return undefined;
    return { start: i, query: before.slice(i + 1) };
  }
  return undefined;
}

const norm = (s: string) => toHiragana(s).replace(/\s/g, '').toLowerCase();

/**
 * Team members a mention may name, for what was typed: active members other than
 * me (the server takes only current active members), matching the name or its kana
 * in either script, width and spaces ignored; those starting with it first.
 */
export function mentionCandidates(team: TeamMember[], query: string, myId: string, max = 8): TeamMember[] {
  const q = norm(query);
  const scored: [number, TeamMember][] = [];
  for (const m of team) {
    if (m.user_id === myId || m.status !== 'active') continue;
    const name = norm(m.name);
    const kana = norm(m.name_kana ?? '');
    if (!q) scored.push([1, m]);
    else if (name.startsWith(q) || kana.startsWith(q)) scored.push([0, m]);
    else if (name.includes(q) || kana.includes(q)) scored.push([1, m]);
  }
  return scored
    .sort((a, b) => a[0] - b[0] || norm(a[1].name_kana || a[1].name).localeCompare(norm(b[1].name_kana || b[1].name), 'ja'))
    .slice(0, max)
    .map(([, m]) => m);
}

/** The text with the mention being typed replaced by `@name `, and where the caret goes. */
export function insertMention(text: string, caret: number, q: MentionQuery, name: string): { text: string; caret: number } {
  const token = `@${name} `;
  const rest = text.slice(caret).replace(/^ /, '');
  return { text: text.slice(0, q.start) + token + rest, caret: q.start + token.length };
}

/** The members `text` mentions (@name, with or without the space in the name, @ or ＠), in team order.
 * Names are matched longest first and each match is consumed, so 「@佐藤 一郎」 does not also
 * mention 「佐藤 一」 when both are on the team (the same reading as splitMentions). */
export function mentionsIn(text: string, team: Pick<TeamMember, 'user_id' | 'name'>[]): string[] {
  const owner = new Map<string, string[]>(); // two members may share a name: both are mentioned
  for (const m of team) {
    const n = m.name.trim();
    if (!n) continue;
    for (const tok of new Set([n, n.replace(/\s/g, '')])) owner.set(tok, [...(owner.get(tok) ?? []), m.user_id]);
  }
  if (owner.size === 0) return [];
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const tokens = [...owner.keys()].sort((a, b) => b.length - a.length);
  const re = new RegExp(`[@＠](${tokens.map(esc).join('|')})`, 'g');
  const found = new Set<string>();
  for (const m of text.matchAll(re)) for (const id of owner.get(m[1]!)!) found.add(id);
  return team.map((m) => m.user_id).filter((id, i, all) => found.has(id) && all.indexOf(id) === i);
}

/** The composer's text once a refused message's text is put back into it: the message's text,
 * after what is being written (if anything), so neither is lost. */
export function restoreText(current: string, refused: string): string {
  return current.trim() ? `${current.replace(/\s+$/, '')}\n${refused}` : refused;
}

export interface Segment { text: string; mention?: boolean }

/** The text cut into plain parts and @name parts (of the names given), to show mentions apart. */
export function splitMentions(text: string, names: string[]): Segment[] {
  const tokens = [...new Set(names.flatMap((n) => [n.trim(), n.replace(/\s/g, '')]).filter(Boolean))].sort((a, b) => b.length - a.length);
  if (tokens.length === 0) return text ? [{ text }] : [];
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`[@＠](?:${tokens.map(esc).join('|')})`, 'g');
  const out: Segment[] = [];
  let at = 0;
  for (const m of text.matchAll(re)) {
    if (m.index! > at) out.push({ text: text.slice(at, m.index) });
    out.push({ text: m[0], mention: true });
    at = m.index! + m[0].length;
  }
  if (at < text.length) out.push({ text: text.slice(at) });
  return out;
}

// --- writing ---

export interface Draft {
  text: string;
  replyTo?: string;
  urgent: boolean;
  attachmentIds: string[];
}

export interface Author { id: string; name: string; profession: string }

/** Why a draft cannot be sent, or undefined: the server's rule (1..2000 characters). */
export function draftProblem(d: Pick<Draft, 'text'>): 'empty' | 'too_long' | undefined {
  const n = [...d.text.trim()].length;
  if (n === 0) return 'empty';
  if (n > MAX_TEXT) return 'too_long';
  return undefined;
}

/**
 * The message.create arguments (the POST body with patient_id; `id` the message's
 * UUIDv7, fixed now so that a re-send names the same message) and the copy the
 * thread shows until the server has it. Optional fields are left out when empty.
 */
export function newMessage(patientId: string, id: string, d: Draft, team: TeamMember[], me: Author, now: string): { args: Record<string, unknown>; local: LocalMessage } {
  const text = d.text.trim();
  const mentions = mentionsIn(text, team.filter((m) => m.user_id !== me.id && m.status === 'active'));
  const args: Record<string, unknown> = { patient_id: patientId, id, text };
  if (d.replyTo) args.reply_to = d.replyTo;
  if (mentions.length) args.mentions = mentions;
  if (d.attachmentIds.length) args.attachment_ids = d.attachmentIds;
  if (d.urgent) args.urgent = true;
  const local: LocalMessage = {
    id, patient_id: patientId, author_id: me.id, author_name: me.name, profession: me.profession, text,
    reply_to: d.replyTo ?? null, mentions, attachment_ids: d.attachmentIds, urgent: d.urgent, retracted: false,
    created_at: now, record_ids: [], pending: true,
  };
  return { args, local };
}

/** The message as kept on the device: read receipts are not (they change with every reader). */
export function stored(m: Message): LocalMessage {
  const { read_by: _r, ...rest } = m;
  return rest;
}

/** Ids of the records made from `m`: the server's list and the device's records citing it (made offline too). */
export function recordsOf(m: Message, records: { id: string; source_message_id?: string | null }[]): string[] {
  const ids = [...(m.record_ids ?? [])];
  for (const r of records) if (r.source_message_id === m.id && !ids.includes(r.id)) ids.push(r.id);
  return ids;
}

/** The start of a text for a quote or a list: at most `n` characters, an ellipsis when cut. */
export const excerpt = (s: string, n = 60): string => ([...s].length > n ? `${[...s].slice(0, n).join('')}…` : s);
