import { describe, expect, it } from 'vitest';
import type { PushRequest, PushResult } from '../schemas';
import { Outbox, subjectOf } from './outbox';
import { fakeServer, json, mustOpenDB, mustVault, offline, problem, type Call, type Handler } from './testing';

async function setup(handler: Handler) {
  const db = await mustOpenDB();
  const vault = await mustVault(db);
  const srv = fakeServer(handler);
  const outbox = new Outbox(db, vault, srv.api, async () => 'device-1', { batchSize: 10 });
  return { db, vault, outbox, ...srv };
}

/** A push handler answering each mutation with `decide(mutation)`. */
type Wire = NonNullable<PushRequest['mutations']>[number];

function pushWith(decide: (m: Wire) => Omit<PushResult, 'id'>): Handler {
  return (c: Call) => {
    const req = c.body as PushRequest;
    return json({ results: (req.mutations ?? []).map((m) => ({ id: m.id, ...decide(m) })) });
  };
}

const pushes = (calls: Call[]) => calls.filter((c) => c.path === '/api/v1/sync/push').map((c) => c.body as PushRequest & { mutations: Wire[] });

describe('Outbox', () => {
  it('sends in seq order with the device id and removes applied and duplicate', async () => {
    let i = 0;
    const { outbox, calls } = await setup(pushWith(() => ({ status: i++ % 2 ? 'duplicate' : 'applied' })));
    const a = await outbox.enqueue('record.create', { patient_id: 'p1', text: 'a' });
    const b = await outbox.enqueue('visit.update', { visit_id: 'v1', status: 'done' }, 3);
    const c = await outbox.enqueue('record.read', { record_id: 'r1' });
    expect([a.seq, b.seq, c.seq]).toEqual([1, 2, 3]);
    const r = await outbox.flush();
    expect(r).toMatchObject({ sent: 3, applied: 3 });
    expect(r.stopped).toBeUndefined();
    const [req] = pushes(calls);
    expect(req!.device_id).toBe('device-1');
    expect(Math.abs(Date.parse(req!.device_time!) - Date.now())).toBeLessThan(60_000);
    expect(req!.mutations).toEqual([
      { id: a.id, seq: 1, type: 'record.create', args: { patient_id: 'p1', text: 'a' } },
      { id: b.id, seq: 2, type: 'visit.update', args: { visit_id: 'v1', status: 'done' }, base_version: 3 },
      { id: c.id, seq: 3, type: 'record.read', args: { record_id: 'r1' } },
    ]);
    expect(await outbox.pendingCount()).toBe(0);
  });

  it('keeps seq monotonic across reopening', async () => {
    const { db, outbox, api, vault } = await setup(pushWith(() => ({ status: 'applied' })));
    await outbox.enqueue('record.read', { record_id: 'r1' });
    await outbox.flush();
    const again = new Outbox(db, vault, api, async () => 'device-1');
    expect((await again.enqueue('record.read', { record_id: 'r2' })).seq).toBe(2);
  });

  it('moves a conflict aside with both versions and goes on', async () => {
    const server = { id: 'v1', status: 'cancelled', version: 4 };
    const { outbox } = await setup(pushWith((m) => (m.type === 'visit.update' ? { status: 'conflict', entity: server } : { status: 'applied' })));
    const m = await outbox.enqueue('visit.update', { visit_id: 'v1', status: 'done' }, 3);
    await outbox.enqueue('record.read', { record_id: 'r1' });
    const r = await outbox.flush();
    expect(r).toMatchObject({ conflicts: 1, applied: 1 });
    expect(await outbox.pendingCount()).toBe(0);
    const [c] = await outbox.conflicts();
    expect(c!.mutation).toEqual(m);
    expect(c!.server).toEqual(server);
    await outbox.dismiss(m.id);
    expect(await outbox.conflictCount()).toBe(0);
  });

  it('keeps a rejected mutation as failed with the problem, and later ones still go', async () => {
    const { outbox, calls } = await setup(
      pushWith((m) => (m.seq === 1 ? { status: 'rejected', problem: { type: 'about:blank', title: 'bad', status: 422, code: 'validation_failed', detail: 'pulse out of range' } } : { status: 'applied' })),
    );
    const bad = await outbox.enqueue('record.create', { patient_id: 'p1', vitals: { pulse: 900 } });
    await outbox.enqueue('record.read', { record_id: 'r1' });
    await outbox.flush();
    const failed = await outbox.failed();
    expect(failed).toHaveLength(1);
    expect(failed[0]!.mutation.id).toBe(bad.id);
    expect(failed[0]!.problem).toMatchObject({ code: 'validation_failed', detail: 'pulse out of range' });
    expect(await outbox.pendingCount()).toBe(0);
    // A failed mutation is not sent again.
    await outbox.flush();
    expect(pushes(calls)).toHaveLength(1);
  });

  it('handles a resend as what it came to the first time: a lost conflict or refusal is not dropped', async () => {
    const server = { id: 'v1', version: 4 };
    const problem = { type: 'about:blank', title: 'bad', status: 422, code: 'validation_failed' };
    const { outbox } = await setup(
      pushWith((m) => (m.seq === 1
        ? { status: 'duplicate', first_status: 'conflict', entity: server, problem: { type: 'about:blank', title: 'conflict', status: 409, code: 'conflict' } }
        : m.seq === 2 ? { status: 'duplicate', first_status: 'rejected', problem } : { status: 'duplicate', first_status: 'applied' })),
    );
    const conflicted = await outbox.enqueue('visit.update', { visit_id: 'v1', note: '変更' }, 3);
    const refused = await outbox.enqueue('record.create', { patient_id: 'p1', vitals: { pulse: 900 } });
    await outbox.enqueue('record.read', { record_id: 'r1' });
    expect(await outbox.flush()).toMatchObject({ conflicts: 1, rejected: 1, applied: 1 });
    expect((await outbox.conflicts())[0]!.mutation.id).toBe(conflicted.id);
    expect((await outbox.failed())[0]!.mutation.id).toBe(refused.id);
    expect(await outbox.pendingCount()).toBe(0);
  });

  it('stops at retry: that one and everything after it wait', async () => {
    const { outbox } = await setup(pushWith((m) => (m.seq === 2 ? { status: 'retry' } : { status: 'applied' })));
    await outbox.enqueue('record.read', { record_id: 'r1' });
    const second = await outbox.enqueue('record.read', { record_id: 'r2' });
    const third = await outbox.enqueue('record.read', { record_id: 'r3' });
    const r = await outbox.flush();
    expect(r.stopped).toBe('retry');
    expect((await outbox.pending()).map((m) => m.id)).toEqual([second.id, third.id]);
  });

  it('keeps everything on a network error', async () => {
    const { outbox } = await setup(() => offline());
    await outbox.enqueue('record.read', { record_id: 'r1' });
    await outbox.enqueue('record.read', { record_id: 'r2' });
    const r = await outbox.flush();
    expect(r.stopped).toBe('network');
    expect(await outbox.pendingCount()).toBe(2);
  });

  it('halves the batch after a push too slow for the link, and grows it back', async () => {
    // The link carries at most 2 mutations within the server's time: more time out (408).
    const { outbox, calls } = await setup((c) => {
      const req = c.body as PushRequest;
      if ((req.mutations ?? []).length > 2) return problem(408, 'bad_request');
      return json({ results: (req.mutations ?? []).map((m) => ({ id: m.id, status: 'applied' })) });
    });
    for (let i = 0; i < 8; i++) await outbox.enqueue('record.read', { record_id: `r${i}` });
    for (let tries = 0; tries < 12 && (await outbox.pendingCount()) > 0; tries++) await outbox.flush();
    expect(await outbox.pendingCount()).toBe(0);
    const sizes = pushes(calls).map((p) => p.mutations.length);
    expect(sizes.slice(0, 3)).toEqual([8, 4, 2]);
    expect(Math.max(...sizes.slice(3))).toBeLessThanOrEqual(4);
  });

  it('re-sends the same ids and seqs after the answer was lost (exactly-once)', async () => {
    const ledger = new Map<string, number>(); // the server's mutation ledger
    let loseAnswer = true;
    const { outbox, calls } = await setup((c) => {
      const req = c.body as PushRequest;
      const results = (req.mutations ?? []).map((m) => {
        const seen = ledger.has(m.id);
        ledger.set(m.id, (ledger.get(m.id) ?? 0) + (seen ? 0 : 1));
        return { id: m.id, status: seen ? 'duplicate' : 'applied' };
      });
      if (loseAnswer) {
        loseAnswer = false;
        offline(); // the server committed, then the connection dropped
      }
      return json({ results });
    });
    await outbox.enqueue('record.create', { patient_id: 'p1', text: 'a' });
    await outbox.enqueue('record.create', { patient_id: 'p1', text: 'b' });
    expect((await outbox.flush()).stopped).toBe('network');
    expect((await outbox.flush()).applied).toBe(2);
    const [first, second] = pushes(calls);
    expect(second!.mutations).toEqual(first!.mutations);
    expect([...ledger.values()]).toEqual([1, 1]);
    expect(await outbox.pendingCount()).toBe(0);
  });

  it('uploads a queued photo before the mutation that cites it', async () => {
    const photo = new Uint8Array([0xff, 0xd8, 0xff, 1, 2, 3]);
    const { outbox, calls, db } = await setup((c) =>
      c.method === 'PUT' ? json({ id: c.path.split('/').pop(), sha256: 'ab' }, 201) : pushWith(() => ({ status: 'applied' }))(c));
    const id = await outbox.addBlob(photo, 'image/jpeg', 'p1');
    // The attachment id is a client UUIDv7 (the server's sha256 is of its sanitized copy).
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    await outbox.enqueue('record.create', { patient_id: 'p1', attachment_ids: [id] });
    await outbox.flush();
    expect(calls.map((c) => `${c.method} ${c.path}`)).toEqual([`PUT /api/v1/attachments/${id}`, 'POST /api/v1/sync/push']);
    expect(calls[0]!.query.get('patient_id')).toBe('p1');
    expect(Array.from(calls[0]!.raw!)).toEqual(Array.from(photo));
    expect(calls[0]!.contentType).toBe('image/jpeg');
    expect(await db.count('blobs')).toBe(0);
  });

  it('uploads the pages of a consent form, in order, before consent.create; a refusal names the consent', async () => {
    let n = 0;
    const { outbox, calls, db } = await setup((c) => c.method === 'PUT' ? json({ id: c.path.split('/').pop() }, 201)
      : pushWith(() => (n++ === 0 ? { status: 'rejected', problem: { type: 'about:blank', title: 'x', status: 422, code: 'consent_form_required' } } : { status: 'applied' }))(c));
    const pages = [await outbox.addBlob(new Uint8Array([1]), 'image/jpeg', 'p1'), await outbox.addBlob(new Uint8Array([2]), 'image/jpeg', 'p1')];
    await outbox.enqueue('consent.create', { patient_id: 'p1', id: 'c-new', obtained_on: '2026-12-01', scope: 'full', attachment_ids: pages });
    await outbox.flush();
    expect(calls.map((c) => `${c.method} ${c.path}`)).toEqual([`PUT /api/v1/attachments/${pages[0]}`, `PUT /api/v1/attachments/${pages[1]}`, 'POST /api/v1/sync/push']);
    expect((pushes(calls)[0]!.mutations[0]!.args as { attachment_ids: string[] }).attachment_ids).toEqual(pages);
    expect(await db.count('blobs')).toBe(0);
    const failed = await outbox.failed();
    expect(failed.map((f) => [f.problem.code, subjectOf(f.mutation)])).toEqual([['consent_form_required', 'c-new']]);
  });

  it('does not send a mutation whose photo could not be uploaded, nor later ones', async () => {
    const { outbox, calls } = await setup((c) => (c.method === 'PUT' ? offline() : pushWith(() => ({ status: 'applied' }))(c)));
    await outbox.enqueue('record.read', { record_id: 'r0' });
    const id = await outbox.addBlob(new Uint8Array([1]), 'image/jpeg', 'p1');
    await outbox.enqueue('record.create', { patient_id: 'p1', attachment_ids: [id] });
    await outbox.enqueue('record.read', { record_id: 'r1' });
    const r = await outbox.flush();
    expect(r.stopped).toBe('network');
    expect(pushes(calls).map((p) => p.mutations.map((m) => m.seq))).toEqual([[1]]);
    expect(await outbox.pendingCount()).toBe(2);
    expect(await outbox.blobCount()).toBe(1);
  });

  it('stops on a server error without losing anything', async () => {
    const { outbox } = await setup(() => problem(401, 'unauthenticated'));
    await outbox.enqueue('record.read', { record_id: 'r1' });
    const r = await outbox.flush();
    expect(r.stopped).toBe('error');
    expect(await outbox.pendingCount()).toBe(1);
  });

  it('keeps a refused proxy entry (代行入力) as failed, naming the record it would have created', async () => {
    const { outbox } = await setup(pushWith(() => ({
      status: 'rejected', problem: { type: 'about:blank', title: 'x', status: 422, code: 'on_behalf_not_allowed', detail: "the author's account is not active" },
    })));
    await outbox.enqueue('record.create', { patient_id: 'p1', id: 'r-new', kind: 'doctor_note', on_behalf_of: 'doctor' });
    await outbox.enqueue('record.confirm', { record_id: 'r-old', version: 2 });
    expect(await outbox.flush()).toMatchObject({ rejected: 2 });
    const failed = await outbox.failed();
    expect(failed.map((f) => [f.problem.code, subjectOf(f.mutation)])).toEqual([['on_behalf_not_allowed', 'r-new'], ['on_behalf_not_allowed', 'r-old']]);
    expect(await outbox.pendingCount()).toBe(0);
  });
});
