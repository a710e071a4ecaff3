import { describe, expect, it } from 'vitest';
import type { Change, PullResponse } from '../schemas';
import { getMeta } from './db';
import { Entities } from './entities';
import { Outbox } from './outbox';
import { Puller } from './pull';
import { fakeServer, json, mustOpenDB, mustVault, offline, problem, type Call, type Handler } from './testing';

async function setup(handler: Handler) {
  const db = await mustOpenDB();
  const vault = await mustVault(db);
  const srv = fakeServer(handler);
  return { db, vault, ents: new Entities(db, vault), puller: new Puller(db, vault, srv.api, { limit: 2 }), ...srv };
}

const page = (p: Partial<PullResponse>): PullResponse => ({ changes: [], cursor: 'c', has_more: false, resets: [], ...p });
/** A change as the server sends it: entity, id and patient_id beside the data. */
const ch = (entity: string, id: string, patient_id: string, data: Record<string, unknown> | null = {}, op: Change['op'] = 'upsert'): Change =>
  data === null ? { entity, op, id, patient_id } : { entity, op, id, patient_id, data: { ...data } };

/** The server of a device that already has cursor c0 (no fresh start). */
async function withCursor(handler: Handler) {
  const s = await setup(handler);
  await s.db.put('meta', 'c0', 'cursor');
  return s;
}

describe('Puller', () => {
  it('applies pages while has_more and persists the cursor', async () => {
    const pages: Record<string, PullResponse> = {
      c0: page({ changes: [ch('patient', 'p1', 'p1', { id: 'p1', name: '山田' }), ch('record', 'r1', 'p1', { id: 'r1', patient_id: 'p1', text: 'v1' })], cursor: 'c1', has_more: true }),
      c1: page({ changes: [ch('record', 'r1', 'p1', { id: 'r1', patient_id: 'p1', text: 'v2' }), ch('visit', 'v1', 'p1', { id: 'v1', patient_id: 'p1' })], cursor: 'c2', has_more: false }),
      c2: page({ changes: [ch('visit', 'v1', 'p1', null, 'delete')], cursor: 'c3' }),
    };
    const { puller, calls, ents, db } = await withCursor((c) => json(pages[c.query.get('cursor') ?? '']));
    const r = await puller.pull();
    expect(r).toMatchObject({ pages: 2, changes: 4 });
    expect(calls.map((c) => c.query.toString())).toEqual(['cursor=c0&limit=2', 'cursor=c1&limit=2']);
    expect(await getMeta(db, 'cursor')).toBe('c2');
    expect(await ents.get('record', 'r1')).toMatchObject({ text: 'v2' });
    expect(await ents.list('visit', 'p1')).toHaveLength(1);
    await puller.pull();
    expect(await ents.list('visit', 'p1')).toHaveLength(0);
    expect(await getMeta(db, 'cursor')).toBe('c3');
  });

  it('keeps a team under the patient id, though its data has no id of its own', async () => {
    const team = { patient_id: 'p1', members: [{ user_id: 'u1', role: 'visiting_nurse', name: '看子' }] };
    const { puller, ents } = await withCursor(() => json(page({ changes: [ch('team', 'p1', 'p1', team)], cursor: 'c1' })));
    await puller.pull();
    expect(await ents.get('team', 'p1')).toEqual(team);
    expect(await ents.list('team', 'p1')).toHaveLength(1);
  });

  it('starts a new device from a snapshot of each caseload patient, then follows the log', async () => {
    const { puller, calls, ents, db } = await setup((c) => {
      if (c.path === '/api/v1/patients') return json({ patients: [{ id: 'p1' }, { id: 'p2' }] });
      const pid = c.query.get('patient_id');
      if (pid) return json(page({ changes: [ch('patient', pid, pid, { id: pid }), ch('record', `r-${pid}`, pid, { id: `r-${pid}`, patient_id: pid })], cursor: 'c5' }));
      return json(page({ changes: [ch('record', 'r-new', 'p1', { id: 'r-new', patient_id: 'p1' })], cursor: 'c6' }));
    });
    const r = await puller.pull();
    expect(calls.map((c) => `${c.path}?${c.query}`)).toEqual([
      '/api/v1/patients?',
      '/api/v1/sync/pull?patient_id=p1',
      '/api/v1/sync/pull?patient_id=p2&cursor=c5',
      '/api/v1/sync/pull?cursor=c5&limit=2',
    ]);
    expect(r.changes).toBe(5);
    expect((await ents.list<{ id: string }>('record', 'p1')).map((x) => x.id).sort()).toEqual(['r-new', 'r-p1']);
    expect(await ents.list('patient')).toHaveLength(2);
    expect(await getMeta(db, 'cursor')).toBe('c6');
  });

  it('purges a patient the user lost', async () => {
    let first = true;
    const { puller, ents } = await withCursor(() => {
      if (first) {
        first = false;
        return json(page({ changes: [
          ch('patient', 'p1', 'p1', { id: 'p1' }),
          ch('record', 'r1', 'p1', { id: 'r1', patient_id: 'p1' }),
          ch('patient', 'p2', 'p2', { id: 'p2' }),
          ch('record', 'r2', 'p2', { id: 'r2', patient_id: 'p2' }),
        ], cursor: 'c1' }));
      }
      return json(page({ resets: [{ patient_id: 'p1', action: 'purge' }], cursor: 'c2' }));
    });
    await puller.pull();
    const r = await puller.pull();
    expect(r.purged).toEqual(['p1']);
    expect(await ents.get('patient', 'p1')).toBeUndefined();
    expect(await ents.get('record', 'r1')).toBeUndefined();
    expect(await ents.get('record', 'r2')).toBeDefined();
  });

  it('on a snapshot reset fetches the patient with the current cursor and replaces what we held', async () => {
    let n = 0;
    const { puller, ents, calls } = await withCursor((c: Call) => {
      if (c.query.get('patient_id')) return json(page({ changes: [ch('record', 'new', 'p1', { id: 'new', patient_id: 'p1' })], cursor: c.query.get('cursor') ?? '' }));
      return json(n++ === 0
        ? page({ changes: [ch('record', 'old', 'p1', { id: 'old', patient_id: 'p1' })], cursor: 'c1' })
        : page({ resets: [{ patient_id: 'p1', action: 'snapshot' }], cursor: 'c2' }));
    });
    await puller.pull();
    await puller.pull();
    expect(calls.at(-1)!.query.toString()).toBe('patient_id=p1&cursor=c2');
    expect((await ents.list<{ id: string }>('record', 'p1')).map((r) => r.id)).toEqual(['new']);
  });

  it('keeps the device\'s own rows (drafts, waiting read pointers) on a snapshot; a purge drops them', async () => {
    let n = 0;
    const { puller, ents } = await withCursor((c: Call) => {
      if (c.query.get('patient_id')) return json(page({ changes: [ch('record', 'new', 'p1', { id: 'new', patient_id: 'p1' })], cursor: c.query.get('cursor') ?? '' }));
      n++;
      if (n === 1) return json(page({ resets: [{ patient_id: 'p1', action: 'snapshot' }], cursor: 'c1' }));
      return json(page({ resets: [{ patient_id: 'p1', action: 'purge' }], cursor: 'c2' }));
    });
    await ents.put('draft', { id: 'd1', patient_id: 'p1', text: '書きかけ' }, 'd1');
    await ents.put('message_read', { patient_id: 'p1', up_to: 'm9' }, 'p1');
    await ents.put('record', { id: 'old', patient_id: 'p1' });
    await puller.pull();
    expect(await ents.get('record', 'old')).toBeUndefined();
    expect(await ents.get('draft', 'd1')).toMatchObject({ text: '書きかけ' });
    expect(await ents.get('message_read', 'p1')).toEqual({ patient_id: 'p1', up_to: 'm9' });
    await puller.pull();
    expect(await ents.get('draft', 'd1')).toBeUndefined();
    expect(await ents.get('message_read', 'p1')).toBeUndefined();
  });

  it('on 410 clears the cursor and local entities, keeps the outbox, and starts fresh', async () => {
    const { db, vault, api, puller, ents, calls } = await setup((c) => {
      if (c.query.get('cursor') === 'stale') return problem(410, 'sync_reset_required');
      if (c.path === '/api/v1/patients') return json({ patients: [{ id: 'p9' }] });
      if (c.query.get('patient_id')) return json(page({ changes: [ch('patient', 'p9', 'p9', { id: 'p9' })], cursor: 'fresh' }));
      return json(page({ cursor: 'fresh2' }));
    });
    await ents.put('patient', { id: 'gone' });
    await db.put('meta', 'stale', 'cursor');
    const outbox = new Outbox(db, vault, api, async () => 'd');
    await outbox.enqueue('record.read', { record_id: 'r1' });
    const r = await puller.pull();
    expect(r.restarted).toBe(true);
    expect(calls.map((c) => c.query.get('cursor'))).toEqual(['stale', null, null, 'fresh']);
    expect(await ents.get('patient', 'gone')).toBeUndefined();
    expect(await ents.get('patient', 'p9')).toBeDefined();
    expect(await getMeta(db, 'cursor')).toBe('fresh2');
    expect(await outbox.pendingCount()).toBe(1);
  });

  it('keeps the applied pages and the cursor when the network drops mid-way', async () => {
    const { puller, db } = await withCursor((c) =>
      c.query.get('cursor') !== 'c0' ? offline() : json(page({ changes: [ch('patient', 'p1', 'p1', { id: 'p1' })], cursor: 'c1', has_more: true })),
    );
    await expect(puller.pull()).rejects.toMatchObject({ name: 'NetworkError' });
    expect(await getMeta(db, 'cursor')).toBe('c1');
  });
});
