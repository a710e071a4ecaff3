import { describe, expect, it } from 'vitest';
import type { PullResponse } from '../api-types';
import { getMeta } from './db';
import { Entities } from './entities';
import { Outbox } from './outbox';
import { Puller } from './pull';
import { fakeServer, json, mustOpenDB, mustVault, offline, problem, type Handler } from './testing';

async function setup(handler: Handler) {
  const db = await mustOpenDB();
  const vault = await mustVault(db);
  const srv = fakeServer(handler);
  return { db, vault, ents: new Entities(db, vault), puller: new Puller(db, vault, srv.api, { limit: 2 }), ...srv };
}

const page = (p: Partial<PullResponse>): PullResponse => ({ changes: [], cursor: 'c', has_more: false, resets: [], ...p });

describe('Puller', () => {
  it('applies pages while has_more and persists the cursor', async () => {
    const pages: Record<string, PullResponse> = {
      '': page({ changes: [{ entity: 'patient', op: 'upsert', data: { id: 'p1', name: '山田' } }, { entity: 'record', op: 'upsert', data: { id: 'r1', patient_id: 'p1', text: 'v1' } }], cursor: 'c1', has_more: true }),
      c1: page({ changes: [{ entity: 'record', op: 'upsert', data: { id: 'r1', patient_id: 'p1', text: 'v2' } }, { entity: 'visit', op: 'upsert', data: { id: 'v1', patient_id: 'p1' } }], cursor: 'c2', has_more: false }),
      c2: page({ changes: [{ entity: 'visit', op: 'delete', data: { id: 'v1', patient_id: 'p1' } }], cursor: 'c3' }),
    };
    const { puller, calls, ents, db } = await setup((c) => json(pages[c.query.get('cursor') ?? '']));
    const r = await puller.pull();
    expect(r).toMatchObject({ pages: 2, changes: 4 });
    expect(calls.map((c) => c.query.toString())).toEqual(['limit=2', 'cursor=c1&limit=2']);
    expect(await getMeta(db, 'cursor')).toBe('c2');
    expect(await ents.get('record', 'r1')).toMatchObject({ text: 'v2' });
    expect(await ents.list('visit', 'p1')).toHaveLength(1);
    await puller.pull();
    expect(await ents.list('visit', 'p1')).toHaveLength(0);
    expect(await getMeta(db, 'cursor')).toBe('c3');
  });

  it('purges a patient the user lost', async () => {
    let first = true;
    const { puller, ents } = await setup(() => {
      if (first) {
        first = false;
        return json(page({ changes: [
          { entity: 'patient', op: 'upsert', data: { id: 'p1' } },
          { entity: 'record', op: 'upsert', data: { id: 'r1', patient_id: 'p1' } },
          { entity: 'patient', op: 'upsert', data: { id: 'p2' } },
          { entity: 'record', op: 'upsert', data: { id: 'r2', patient_id: 'p2' } },
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

  it('a snapshot replaces what we held of the patient with the page\'s rows', async () => {
    let n = 0;
    const { puller, ents } = await setup(() =>
      json(n++ === 0
        ? page({ changes: [{ entity: 'record', op: 'upsert', data: { id: 'old', patient_id: 'p1' } }], cursor: 'c1' })
        : page({ resets: [{ patient_id: 'p1', action: 'snapshot' }], changes: [{ entity: 'record', op: 'upsert', data: { id: 'new', patient_id: 'p1' } }], cursor: 'c2' })),
    );
    await puller.pull();
    await puller.pull();
    expect((await ents.list<{ id: string }>('record', 'p1')).map((r) => r.id)).toEqual(['new']);
  });

  it('on 410 clears the cursor and local entities, keeps the outbox, and starts fresh', async () => {
    const { db, vault, api, puller, ents, calls } = await setup((c) =>
      c.query.get('cursor') === 'stale' ? problem(410, 'cursor_expired') : json(page({ changes: [{ entity: 'patient', op: 'upsert', data: { id: 'p9' } }], cursor: 'fresh' })),
    );
    await ents.put('patient', { id: 'gone' });
    await db.put('meta', 'stale', 'cursor');
    const outbox = new Outbox(db, vault, api, async () => 'd');
    await outbox.enqueue('record.read', { record_id: 'r1' });
    const r = await puller.pull();
    expect(r.restarted).toBe(true);
    expect(calls.map((c) => c.query.get('cursor'))).toEqual(['stale', null]);
    expect(await ents.get('patient', 'gone')).toBeUndefined();
    expect(await ents.get('patient', 'p9')).toBeDefined();
    expect(await getMeta(db, 'cursor')).toBe('fresh');
    expect(await outbox.pendingCount()).toBe(1);
  });

  it('keeps the applied pages and the cursor when the network drops mid-way', async () => {
    const { puller, db } = await setup((c) =>
      c.query.get('cursor') ? offline() : json(page({ changes: [{ entity: 'patient', op: 'upsert', data: { id: 'p1' } }], cursor: 'c1', has_more: true })),
    );
    await expect(puller.pull()).rejects.toMatchObject({ name: 'NetworkError' });
    expect(await getMeta(db, 'cursor')).toBe('c1');
  });
});
