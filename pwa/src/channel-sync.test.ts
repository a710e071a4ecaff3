// The team channel on the device: a message written offline waits in the outbox as
// message.create with its photo, shows at once as waiting, goes out once (photo
// first) when online, and the pulled message replaces the waiting copy; a purge of
// the patient removes the messages; the read pointer waits offline.
import { describe, expect, it } from 'vitest';
import { newMessage, orderThread, type LocalMessage } from './channel';
import { READ_ENTITY, ReadPointers } from './channel-reads';
import type { PushRequest, TeamMember } from './schemas';
import { Entities, type EntityData } from './sync/entities';
import { Outbox, subjectOf } from './sync/outbox';
import { Puller } from './sync/pull';
import { fakeServer, json, mustOpenDB, mustVault, offline, problem, type Handler } from './sync/testing';

const TEAM = [{ user_id: 'doc', name: '医師 一郎', name_kana: 'イシ イチロウ', status: 'active' }] as TeamMember[];
const ME = { id: 'me', name: '看護 花子', profession: 'nurse' };

async function setup(handler: Handler) {
  const db = await mustOpenDB();
  const vault = await mustVault(db);
  const srv = fakeServer((c) => handler(c));
  const ents = new Entities(db, vault);
  return { db, ents, outbox: new Outbox(db, vault, srv.api, async () => 'device-1'), puller: new Puller(db, vault, srv.api), ...srv };
}

describe('message.create through the outbox', () => {
  it('waits offline, then uploads the photo and sends the message once; the pulled copy replaces the waiting one', async () => {
    let online = false;
    const server: LocalMessage[] = [];
    const s = await setup((c) => {
      if (!online) return offline();
      if (c.method === 'PUT' && c.path.startsWith('/api/v1/attachments/')) return json({ id: c.path.split('/').pop() }, 201);
      if (c.path === '/api/v1/sync/push') {
        const req = c.body as PushRequest;
        return json({ results: (req.mutations ?? []).map((m) => {
          const a = m.args as Record<string, unknown>;
          if (!server.some((x) => x.id === a.id)) server.push({ ...(a as unknown as LocalMessage), author_id: 'me', author_name: '看護 花子', profession: 'nurse', created_at: '2026-03-01T00:00:05Z', retracted: false });
          return { id: m.id, status: 'applied' };
        }) });
      }
      if (c.path === '/api/v1/sync/pull') return json({ changes: server.map((m) => ({ entity: 'message', op: 'upsert', id: m.id, patient_id: m.patient_id, data: m })), cursor: 'c1', has_more: false });
      return problem(404, 'not_found');
    });
    await s.db.put('meta', 'c0', 'cursor');
    const photo = await s.outbox.addBlob(new Uint8Array([0xff, 0xd8, 1, 2]), 'image/jpeg', 'p1');
    const { args, local } = newMessage('p1', 'm1', { text: '@医師 一郎 至急ご確認ください', urgent: true, attachmentIds: [photo] }, TEAM, ME, '2026-03-01T00:00:00Z');
    const queued = await s.outbox.enqueue('message.create', args);
    await s.ents.put('message', local as unknown as EntityData);
    expect(subjectOf(queued)).toBe('m1'); // a refusal names the message

    // Offline: nothing leaves, the message shows as waiting.
    expect((await s.outbox.flush()).stopped).toBe('network');
    expect(await s.outbox.pendingCount()).toBe(1);
    expect(orderThread(await s.ents.list<LocalMessage>('message', 'p1'))).toMatchObject([{ id: 'm1', pending: true, urgent: true, mentions: ['doc'] }]);

    online = true;
    s.calls.length = 0;
    expect(await s.outbox.flush()).toMatchObject({ sent: 1, applied: 1 });
    expect(s.calls.map((c) => `${c.method} ${c.path}`)).toEqual([`PUT /api/v1/attachments/${photo}`, 'POST /api/v1/sync/push']); // the photo first
    const push = s.calls.find((c) => c.path === '/api/v1/sync/push')!.body as PushRequest;
    expect(push.mutations).toEqual([{ id: queued.id, seq: queued.seq, type: 'message.create', args }]);
    expect(await s.outbox.flush()).toMatchObject({ sent: 0 }); // once

    await s.puller.pull();
    const [m] = await s.ents.list<LocalMessage>('message', 'p1');
    expect(m).toMatchObject({ id: 'm1', created_at: '2026-03-01T00:00:05Z' });
    expect(m!.pending).toBeUndefined();
  });

  it('drops every message of a patient the user lost (purge), and no other patient\'s', async () => {
    const s = await setup((c) => (c.path === '/api/v1/sync/pull' ? json({ changes: [], resets: [{ patient_id: 'p1', action: 'purge' }], cursor: 'c1', has_more: false }) : problem(404, 'x')));
    await s.db.put('meta', 'c0', 'cursor');
    for (const [id, p] of [['m1', 'p1'], ['m2', 'p1'], ['m3', 'p2']]) await s.ents.put('message', { id, patient_id: p, text: 'x' });
    await s.ents.put(READ_ENTITY, { patient_id: 'p1', up_to: 'm2' }, 'p1');
    await s.puller.pull();
    expect((await s.ents.list<LocalMessage>('message')).map((m) => m.id)).toEqual(['m3']);
    expect(await s.ents.get(READ_ENTITY, 'p1')).toBeUndefined();
  });
});

describe('ReadPointers', () => {
  it('sends the pointer when online and keeps nothing', async () => {
    const s = await setup(() => new Response(null, { status: 204 }));
    const rp = new ReadPointers(() => s.api, () => s.ents);
    expect(await rp.mark('p1', 'm5')).toBe(true);
    expect(s.calls.map((c) => [c.method, c.path, c.body])).toEqual([['POST', '/api/v1/patients/p1/messages/read', { up_to: 'm5' }]]);
    expect(await s.ents.list(READ_ENTITY)).toEqual([]);
  });

  it('keeps the newest pointer per patient offline and sends it after the next sync', async () => {
    let online = false;
    const s = await setup(() => (online ? new Response(null, { status: 204 }) : offline()));
    const rp = new ReadPointers(() => s.api, () => s.ents);
    expect(await rp.mark('p1', 'm1')).toBe(false);
    expect(await rp.mark('p1', 'm2')).toBe(false);
    expect(await rp.mark('p2', 'm9')).toBe(false);
    expect(await s.ents.list(READ_ENTITY)).toHaveLength(2);
    online = true;
    s.calls.length = 0;
    expect(await rp.flush()).toBe(2);
    expect(s.calls.map((c) => [c.path, c.body]).sort()).toEqual([
      ['/api/v1/patients/p1/messages/read', { up_to: 'm2' }], ['/api/v1/patients/p2/messages/read', { up_to: 'm9' }],
    ]);
    expect(await s.ents.list(READ_ENTITY)).toEqual([]);
  });

  it('keeps a pointer the server could not take now (5xx), drops one it refused for good (404)', async () => {
    let answer = 503;
    const s = await setup(() => problem(answer, answer === 503 ? 'unavailable' : 'not_found'));
    const rp = new ReadPointers(() => s.api, () => s.ents);
    expect(await rp.mark('p1', 'm1')).toBe(false);
    expect(await s.ents.list(READ_ENTITY)).toHaveLength(1);
    answer = 404;
    expect(await rp.flush()).toBe(1);
    expect(await s.ents.list(READ_ENTITY)).toEqual([]);
  });
});
