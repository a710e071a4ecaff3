import { describe, expect, it } from 'vitest';
import { createApi } from './api';
import {
  DraftId, listMessages, markRead, mergeMessages, messageBody, readUpTo, recipients, searchStaff, sendMessage, sortThreads,
  threadWith, totalUnread, uploadPhoto, type StaffMessage, type StaffThread, type StaffUser,
} from './inbox';

const thread = (o: Partial<StaffThread>): StaffThread =>
  ({ id: 't', kind: 'direct', last_seq: 0, read_seq: 0, unread: 0, other_active: true, ...o }) as StaffThread;
const msg = (seq: number, id = `m${seq}`): StaffMessage =>
  ({ id, seq, thread_id: 't', author_id: 'a', author_name: 'A', profession: 'nurse', text: `${seq}`, staff_attachment_ids: [], created_at: '' }) as StaffMessage;

/** A fake fetch that records requests and answers with `answer`. */
function recording(answer: unknown, status = 200) {
  const calls: { url: string; method: string; body?: unknown; type?: string }[] = [];
  const api = createApi({
    fetch: async (url, init) => {
      const h = init.headers as Record<string, string>;
      calls.push({ url, method: init.method!, type: h['Content-Type'],
        body: typeof init.body === 'string' ? JSON.parse(init.body) : init.body });
      return new Response(status === 204 ? null : JSON.stringify(answer), { status, headers: { 'Content-Type': 'application/json' } });
    },
  });
  return { api, calls };
}

describe('messageBody', () => {
  it('sends to a person', () => {
    expect(messageBody({ userId: 'u1' }, 'こんにちは', [], 'id1')).toEqual({ body: { id: 'id1', text: 'こんにちは', to_user_id: 'u1' } });
  });
  it('sends to the facility with photos', () => {
    expect(messageBody({ facilityId: 'f1' }, '写真', ['p1'], 'id2')).toEqual({ body: { id: 'id2', text: '写真', facility_id: 'f1', staff_attachment_ids: ['p1'] } });
  });
  it.each([
    [null, 'x', [], 'inbox.err_no_recipient'],
    [{ userId: 'u' }, '  \n ', [], 'inbox.err_text_empty'],
    [{ userId: 'u' }, 'あ'.repeat(2001), [], 'inbox.err_text_long'],
    [{ userId: 'u' }, 'x', ['1', '2', '3', '4', '5', '6', '7'], 'inbox.err_photos'],
  ] as const)('refuses %j %s', (to, text, ids, err) => {
    expect(messageBody(to, text, [...ids], 'id')).toEqual({ error: err });
  });
  it('counts characters, not UTF-16 units, as the server does', () => {
    expect('body' in messageBody({ userId: 'u' }, '𠮷'.repeat(2000), [], 'id')).toBe(true);
  });
  it('keeps the id of a draft across retries and takes a fresh UUIDv7 only after a send', () => {
    const d = new DraftId();
    const a = messageBody({ userId: 'u' }, 'x', [], d.current);
    const retry = messageBody({ userId: 'u' }, 'x', [], d.current);
    expect('body' in a && 'body' in retry && a.body.id === retry.body.id && /^[0-9a-f-]{36}$/.test(a.body.id)).toBe(true);
    d.sent();
    const next = messageBody({ userId: 'u' }, 'x', [], d.current);
    expect('body' in a && 'body' in next && next.body.id !== a.body.id).toBe(true);
  });
});

describe('threads', () => {
  const old = thread({ id: 'old', last_message_at: '2026-12-01T00:00:00Z' });
  const recent = thread({ id: 'recent', last_message_at: '2026-12-03T00:00:00Z' });
  const unread = thread({ id: 'unread', last_message_at: '2026-11-01T00:00:00Z', unread: 2 });
  const group = thread({ id: 'f', kind: 'facility' });
  it('puts unread first, then the latest; an empty facility thread before nothing', () => {
    expect(sortThreads([old, group, recent, unread]).map((t) => t.id)).toEqual(['unread', 'recent', 'old', 'f']);
  });
  it('sums unread', () => expect(totalUnread([old, unread, thread({ unread: 3 })])).toBe(5));
  it('finds the pair thread with a person', () => {
    const pair = thread({ id: 'p', other_user_id: 'u2' });
    expect(threadWith([group, pair], 'u2')).toBe(pair);
    expect(threadWith([group, pair], 'u3')).toBeUndefined();
  });
});

describe('pages', () => {
  it('merges pages oldest first, each message once', () => {
    expect(mergeMessages([msg(3), msg(4)], [msg(2), msg(3), msg(1)]).map((m) => m.seq)).toEqual([1, 2, 3, 4]);
  });
  it('marks read only past the read position', () => {
    expect(readUpTo(thread({ read_seq: 2 }), [msg(1), msg(2), msg(3)])).toBe('m3');
    expect(readUpTo(thread({ read_seq: 3 }), [msg(1), msg(2), msg(3)])).toBeUndefined();
    expect(readUpTo(thread({}), [])).toBeUndefined();
  });
  it('never offers oneself or an inactive account', () => {
    const u = (id: string, status = 'active') => ({ id, status }) as StaffUser;
    expect(recipients([u('me'), u('a'), u('b', 'suspended')], 'me').map((x) => x.id)).toEqual(['a']);
  });
});

describe('requests', () => {
  it('asks for a page before a message', async () => {
    const { api, calls } = recording({ thread: thread({}), items: null });
    const r = await listMessages(api, 'th/1', 'm9');
    expect(calls[0]!.url).toBe('/api/v1/staff/threads/th%2F1/messages?before=m9&limit=50');
    expect(r.items).toEqual([]);
  });
  it('posts a message and a read position', async () => {
    const { api, calls } = recording(msg(1));
    await sendMessage(api, { id: 'i', text: 'x', to_user_id: 'u' });
    await markRead(api, 't1', 'm1');
    expect(calls.map((c) => [c.method, c.url, c.body])).toEqual([
      ['POST', '/api/v1/staff/messages', { id: 'i', text: 'x', to_user_id: 'u' }],
      ['POST', '/api/v1/staff/threads/t1/read', { up_to: 'm1' }],
    ]);
  });
  it('searches active staff and leaves oneself out', async () => {
    const { api, calls } = recording({ users: [{ id: 'me', status: 'active' }, { id: 'x', status: 'active' }] });
    const found = await searchStaff(api, ' やま ', 'me');
    expect(calls[0]!.url).toBe('/api/v1/users?q=%E3%82%84%E3%81%BE&status=active&limit=20');
    expect(found.map((u) => u.id)).toEqual(['x']);
  });
  it('uploads a shrunk photo under a new id', async () => {
    const { api, calls } = recording({});
    const shrunk = new Blob(['jpeg'], { type: 'image/jpeg' });
    const id = await uploadPhoto(api, new Blob(['big']), async () => shrunk);
    expect(calls[0]).toMatchObject({ method: 'PUT', url: `/api/v1/staff/attachments/${id}`, type: 'image/jpeg', body: shrunk });
  });
});
