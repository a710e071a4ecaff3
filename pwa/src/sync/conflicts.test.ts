import { describe, expect, it } from 'vitest';
import type { PushRequest, RecordDetail, VisitDetail } from '../schemas';
import { ResolutionError, displacedVersion, planResolution } from './conflicts';
import { Entities } from './entities';
import { Outbox, type Conflict } from './outbox';
import { fakeServer, json, mustOpenDB, mustVault, type Call } from './testing';

type Wire = NonNullable<PushRequest['mutations']>[number];

const visit = (over: Partial<VisitDetail> = {}): VisitDetail => ({
  id: 'v1', patient_id: 'p1', kind: 'nurse_visit', status: 'planned', note: '', all_day: false, assignee_ids: ['nurse'],
  starts_at: '2026-11-02T14:00:00+09:00', ends_at: '2026-11-02T15:00:00+09:00', exceptions: [], version: 3,
  created_at: '', created_by: 'cm', updated_at: '', updated_by: 'cm', ...over,
});

/**
 * A server holding one visit: visit.update applies when base_version is current
 * (version + 1) and answers conflict with the current visit otherwise, as
 * api/visits.go does. record.amend answers from `amend`.
 */
function server(initial: VisitDetail, amend?: (m: Wire) => unknown) {
  let current = initial;
  const pushes: Wire[][] = [];
  const srv = fakeServer((c: Call) => {
    const ms = (c.body as PushRequest).mutations ?? [];
    pushes.push(ms);
    return json({
      results: ms.map((m) => {
        if (m.type === 'record.amend') return { id: m.id, status: 'applied', entity: amend?.(m) };
        if (m.type !== 'visit.update') return { id: m.id, status: 'applied' };
        if (m.base_version !== current.version) {
          return { id: m.id, status: 'conflict', entity: current, problem: { type: 'about:blank', title: 'conflict', status: 409, code: 'conflict' } };
        }
        const { visit_id: _v, ...fields } = m.args as Record<string, unknown>;
        current = { ...current, ...(fields as Partial<VisitDetail>), version: current.version + 1, updated_by: 'nurse' };
        return { id: m.id, status: 'applied', entity: current };
      }),
    });
  });
  return { ...srv, pushes, get current() { return current; }, set current(v: VisitDetail) { current = v; } };
}

async function setup(s: ReturnType<typeof server>) {
  const db = await mustOpenDB();
  const vault = await mustVault(db);
  const entities = new Entities(db, vault);
  const outbox = new Outbox(db, vault, s.api, async () => 'device-1', { adopt: (e, d) => entities.put(e, d) });
  return { db, outbox, entities };
}

/** Resolves conflict `c` as the app does: plan against the local copy, then apply the plan. */
async function decide(outbox: Outbox, entities: Entities, c: Conflict, choice: 'mine' | 'server' | 'amend', extra: { reason?: string; text?: string } = {}) {
  const entity = c.mutation.type === 'visit.update' ? 'visit' : 'record';
  const id = (c.server as { id: string }).id;
  const plan = planResolution(c, choice, { current: await entities.get(entity, id), userId: 'nurse', now: '2026-11-02T06:00:00Z', ...extra });
  if (plan.next) await outbox.resolve(c.mutation.id, plan.next);
  else await outbox.resolve(c.mutation.id);
  if (plan.local) await entities.put(plan.local.entity, plan.local.data);
  return plan;
}

describe('visit conflicts', () => {
  it('keeps both sides and shows the server side on the device', async () => {
    const s = server(visit());
    const { outbox, entities } = await setup(s);
    await entities.put('visit', { ...visit(), status: 'done', version: 4 }); // the nurse's optimistic copy
    s.current = visit({ version: 4, starts_at: '2026-11-02T16:00:00+09:00', ends_at: '2026-11-02T17:00:00+09:00' }); // moved by the care manager
    const m = await outbox.enqueue('visit.update', { visit_id: 'v1', status: 'done' }, 3);

    expect(await outbox.flush()).toMatchObject({ conflicts: 1, applied: 0 });
    const [c] = await outbox.conflicts();
    expect(c).toMatchObject({ mutation: { id: m.id, args: { status: 'done' }, base_version: 3 }, server: { version: 4, starts_at: '2026-11-02T16:00:00+09:00' } });
    // The optimistic "done" gave way to what the server has.
    expect(await entities.get('visit', 'v1')).toMatchObject({ status: 'planned', version: 4, starts_at: '2026-11-02T16:00:00+09:00' });
  });

  it('"mine" re-sends the same change on the current version, and the server takes it', async () => {
    const s = server(visit());
    const { outbox, entities } = await setup(s);
    s.current = visit({ version: 4, starts_at: '2026-11-02T16:00:00+09:00', ends_at: '2026-11-02T17:00:00+09:00' });
    await outbox.enqueue('visit.update', { visit_id: 'v1', status: 'done' }, 3);
    await outbox.flush();
    const [c] = await outbox.conflicts();

    const plan = await decide(outbox, entities, c!, 'mine');
    expect(plan.next).toEqual({ type: 'visit.update', args: { visit_id: 'v1', status: 'done' }, base_version: 4 });
    expect(await outbox.conflictCount()).toBe(0);
    // Shown at once: the server's times with my status, one version on.
    expect(await entities.get('visit', 'v1')).toMatchObject({ status: 'done', version: 5, starts_at: '2026-11-02T16:00:00+09:00' });

    expect(await outbox.flush()).toMatchObject({ applied: 1, conflicts: 0 });
    expect(s.pushes.at(-1)![0]).toMatchObject({ args: { visit_id: 'v1', status: 'done' }, base_version: 4 });
    expect(s.current).toMatchObject({ status: 'done', version: 5, starts_at: '2026-11-02T16:00:00+09:00' });
  });

  it('"server" drops my change and sends nothing', async () => {
    const s = server(visit());
    const { outbox, entities } = await setup(s);
    s.current = visit({ version: 4, status: 'cancelled' });
    await outbox.enqueue('visit.update', { visit_id: 'v1', status: 'done' }, 3);
    await outbox.flush();
    const [c] = await outbox.conflicts();
    const plan = await decide(outbox, entities, c!, 'server');
    expect(plan.next).toBeUndefined();
    expect(await outbox.conflictCount()).toBe(0);
    expect(await outbox.pendingCount()).toBe(0);
    expect(await entities.get('visit', 'v1')).toMatchObject({ status: 'cancelled', version: 4 });
    await outbox.flush();
    expect(s.pushes).toHaveLength(1);
    expect(() => planResolution(c!, 'amend', { userId: 'u', now: '' })).toThrow(ResolutionError);
  });

  it('bases "mine" on the newest copy the device holds (a pull may have brought a newer one)', () => {
    const c: Conflict = { mutation: { id: 'm', seq: 1, type: 'visit.update', args: { visit_id: 'v1', note: 'x' }, base_version: 3 }, server: visit({ version: 4 }) };
    expect(planResolution(c, 'mine', { current: visit({ version: 6 }), userId: 'u', now: '' }).next?.base_version).toBe(6);
    expect(planResolution(c, 'mine', { current: undefined, userId: 'u', now: '' }).next?.base_version).toBe(4);
  });

  it('never sends a second change of the same visit with the first; a conflict takes both aside', async () => {
    const s = server(visit());
    const { outbox, entities } = await setup(s);
    s.current = visit({ version: 4, note: '時間変更' });
    // Offline: two edits of the visit (the second on the first's optimistic version) and an unrelated one.
    await outbox.enqueue('visit.update', { visit_id: 'v1', status: 'done' }, 3);
    await outbox.enqueue('record.read', { record_id: 'r1' });
    await outbox.enqueue('visit.update', { visit_id: 'v1', note: '到着が遅れた' }, 4);

    const r = await outbox.flush();
    expect(r).toMatchObject({ conflicts: 2, applied: 1 });
    // The second edit never reached the server, where base 4 would have matched the care manager's version.
    expect(s.pushes.map((p) => p.map((m) => m.type))).toEqual([['visit.update', 'record.read']]);
    expect(s.current.note).toBe('時間変更');
    const cs = await outbox.conflicts();
    expect(cs.map((c) => c.mutation.args)).toEqual([{ visit_id: 'v1', status: 'done' }, { visit_id: 'v1', note: '到着が遅れた' }]);

    // Choosing mine for both: each on the version the one before it makes.
    for (const c of cs) await decide(outbox, entities, c, 'mine');
    expect((await outbox.pending()).map((m) => m.base_version)).toEqual([4, 5]);
    expect(await outbox.flush()).toMatchObject({ applied: 2, conflicts: 0 });
    expect(s.pushes.slice(1).map((p) => p.length)).toEqual([1, 1]);
    expect(s.current).toMatchObject({ status: 'done', note: '到着が遅れた', version: 6 });
  });

  it('sends changes of different visits in one push', async () => {
    const s = server(visit());
    const { outbox } = await setup(s);
    await outbox.enqueue('visit.update', { visit_id: 'v1', status: 'done' }, 3);
    await outbox.enqueue('visit.create', { patient_id: 'p1', id: 'v2' });
    await outbox.flush();
    expect(s.pushes.map((p) => p.length)).toEqual([2]);
  });
});

describe('stale record amendments', () => {
  const version = (v: number, by: string, text: string) => ({
    version: v, entered_by: by, entered_by_name: by, entered_by_profession: 'nurse', created_at: `2026-11-0${v}T00:00:00Z`,
    status: 'final' as const, stale_parent: v === 3, needs_confirmation: false, flags: [], text, vitals: v === 2 ? { pulse: 72 } : { pulse: 90 },
  });
  // v1 by the nurse; v2 by the doctor while the nurse was offline; v3 = the nurse's amendment of v1.
  const stale: RecordDetail = {
    id: 'r1', patient_id: 'p1', kind: 'nursing_visit', occurred_at: '2026-11-01T01:00:00Z', author_id: 'nurse', author_facility_id: 'f',
    author_profession: 'nurse', created_at: '', updated_at: '', version: 3, status: 'final', stale_parent: true, flags: [],
    entered_by: 'nurse', awaiting_confirmation: false,
    read_by: [], read_by_me: true, read_count: 1, text: '夕方に再訪問', vitals: { pulse: 90 },
    versions: [version(1, 'nurse', '初回'), version(2, 'doctor', '医師が追記'), version(3, 'nurse', '夕方に再訪問')],
  };

  async function staleConflict() {
    const s = server(visit(), () => stale);
    const { outbox, entities } = await setup(s);
    await outbox.enqueue('record.amend', { record_id: 'r1', reason: '追記', base_version: 1, text: '夕方に再訪問', vitals: { pulse: 90 } });
    expect(await outbox.flush()).toMatchObject({ conflicts: 1 });
    const [c] = await outbox.conflicts();
    return { s, outbox, entities, c: c! };
  }

  it('keeps an amendment the server flagged stale_parent as a conflict, with the displaced version', async () => {
    const { outbox, entities, c } = await staleConflict();
    expect(c.stale).toBe(true);
    expect(await outbox.pendingCount()).toBe(0); // the server has it: never re-sent as is
    expect(displacedVersion(c.server as RecordDetail)).toMatchObject({ version: 2, entered_by: 'doctor', text: '医師が追記' });
    expect(await entities.get('record', 'r1')).toMatchObject({ version: 3, stale_parent: true });
  });

  it('sets aside the same way when the answer was lost and the resend answers duplicate', async () => {
    // The server rebuilds a duplicate as the version the amendment made
    // (api/sync_answers.go), so stale_parent and the displaced version are
    // there even if the record was amended again since.
    const srv = fakeServer((c: Call) =>
      json({ results: ((c.body as PushRequest).mutations ?? []).map((m) => ({ id: m.id, status: 'duplicate', entity: stale })) }),
    );
    const db = await mustOpenDB();
    const vault = await mustVault(db);
    const entities = new Entities(db, vault);
    const outbox = new Outbox(db, vault, srv.api, async () => 'device-1', { adopt: (e, d) => entities.put(e, d) });
    await outbox.enqueue('record.amend', { record_id: 'r1', reason: '追記', base_version: 1, text: '夕方に再訪問' });
    expect(await outbox.flush()).toMatchObject({ conflicts: 1, applied: 0 });
    const [c] = await outbox.conflicts();
    expect(c!.stale).toBe(true);
    expect(displacedVersion(c!.server as RecordDetail)).toMatchObject({ version: 2, entered_by: 'doctor' });
  });

  it('"mine" confirms my content on the current version', async () => {
    const { s, outbox, entities, c } = await staleConflict();
    await decide(outbox, entities, c, 'mine', { reason: '競合の解消' });
    const [m] = await outbox.pending();
    expect(m).toMatchObject({ type: 'record.amend', args: { record_id: 'r1', base_version: 3, reason: '競合の解消', text: '夕方に再訪問', vitals: { pulse: 90 } } });
    expect(await entities.get('record', 'r1')).toMatchObject({ version: 4, stale_parent: false, pending: true });
    await outbox.flush();
    expect(s.pushes).toHaveLength(2);
  });

  it('"server" restores the displaced version as a new amendment (nothing is deleted)', async () => {
    const { outbox, entities, c } = await staleConflict();
    await decide(outbox, entities, c, 'server', { reason: '医師の版を採用' });
    const [m] = await outbox.pending();
    expect(m!.args).toMatchObject({ record_id: 'r1', base_version: 3, text: '医師が追記', vitals: { pulse: 72 }, status: 'final', attachment_ids: [] });
  });

  it('"amend" writes the reconciling text, and refuses without a reason', async () => {
    const { outbox, entities, c } = await staleConflict();
    expect(() => planResolution(c, 'amend', { userId: 'nurse', now: '', text: 'x' })).toThrow(ResolutionError);
    await decide(outbox, entities, c, 'amend', { reason: '両方を統合', text: '医師が追記。夕方に再訪問' });
    const [m] = await outbox.pending();
    expect(m!.args).toEqual({ record_id: 'r1', reason: '両方を統合', base_version: 3, text: '医師が追記。夕方に再訪問' });
    expect(await outbox.conflictCount()).toBe(0);
  });
});

describe('confirmation (確定) of a version replaced meanwhile', () => {
  const v = (n: number, by: string, text: string, confirmed = false) => ({
    version: n, entered_by: by, entered_by_name: by, entered_by_profession: 'nurse', created_at: `2026-11-0${n}T00:00:00Z`, status: 'final' as const,
    stale_parent: false, needs_confirmation: by !== 'nurse2', flags: [], text, ...(confirmed ? { confirmed_by: 'nurse2', confirmed_at: '2026-11-03T00:00:00Z' } : {}),
  });
  // Entered by the nurse for nurse2 (v1); amended by the nurse again (v2) while nurse2, offline, confirmed v1.
  const record = (over: Partial<RecordDetail> = {}): RecordDetail => ({
    id: 'r1', patient_id: 'p1', kind: 'nursing_visit', occurred_at: '2026-11-01T01:00:00Z', author_id: 'nurse2', author_facility_id: 'station',
    author_profession: 'nurse', created_at: '', updated_at: '', version: 2, status: 'final', stale_parent: false, flags: [], entered_by: 'nurse',
    awaiting_confirmation: true, read_by: [], read_by_me: true, read_count: 1, text: '訂正後', versions: [v(1, 'nurse', '初回'), v(2, 'nurse', '訂正後')], ...over,
  });

  /** The server's answer to record.confirm, as api/records.go gives it: only the current version. */
  function confirmServer(current: () => RecordDetail) {
    const pushes: Wire[][] = [];
    const srv = fakeServer((c: Call) => {
      const ms = (c.body as PushRequest).mutations ?? [];
      pushes.push(ms);
      return json({
        results: ms.map((m) => {
          const r = current();
          if (m.type === 'record.confirm' && (m.args as { version: number }).version !== r.version) {
            return { id: m.id, status: 'conflict', entity: r, problem: { type: 'about:blank', title: 'conflict', status: 409, code: 'conflict' } };
          }
          return { id: m.id, status: 'applied', entity: { ...r, awaiting_confirmation: false, confirmed_by: 'nurse2' } };
        }),
      });
    });
    return { ...srv, pushes };
  }

  async function conflict(current: RecordDetail) {
    const s = confirmServer(() => current);
    const db = await mustOpenDB();
    const vault = await mustVault(db);
    const entities = new Entities(db, vault);
    const outbox = new Outbox(db, vault, s.api, async () => 'device-2', { adopt: (e, d) => entities.put(e, d) });
    // nurse2's optimistic copy: v1 confirmed on the device.
    await entities.put('record', { ...record({ version: 1, text: '初回', versions: null }), awaiting_confirmation: false, confirmed_by: 'nurse2', confirm_pending: true });
    await outbox.enqueue('record.confirm', { record_id: 'r1', version: 1 });
    expect(await outbox.flush()).toMatchObject({ conflicts: 1, applied: 0 });
    const [c] = await outbox.conflicts();
    return { s, outbox, entities, c: c! };
  }

  it('sets the confirmation aside with the current record, which replaces the local copy', async () => {
    const { entities, c } = await conflict(record());
    expect(c.mutation).toMatchObject({ type: 'record.confirm', args: { record_id: 'r1', version: 1 } });
    expect(c.server).toMatchObject({ version: 2, text: '訂正後' });
    // The device no longer claims a confirmation the server does not have.
    expect(await entities.get('record', 'r1')).toMatchObject({ version: 2, awaiting_confirmation: true, text: '訂正後' });
    expect(((await entities.get('record', 'r1')) as { confirm_pending?: boolean }).confirm_pending).toBeUndefined();
  });

  it('"mine" confirms the current version, which the author has now seen', async () => {
    const { s, outbox, entities, c } = await conflict(record());
    const plan = planResolution(c, 'mine', { current: await entities.get('record', 'r1'), userId: 'nurse2', now: '2026-11-04T00:00:00Z' });
    expect(plan.next).toEqual({ type: 'record.confirm', args: { record_id: 'r1', version: 2 } });
    expect(plan.local?.data).toMatchObject({ version: 2, awaiting_confirmation: false, confirmed_by: 'nurse2', confirm_pending: true });
    await outbox.resolve(c.mutation.id, plan.next!);
    expect(await outbox.flush()).toMatchObject({ applied: 1, conflicts: 0 });
    expect(s.pushes.at(-1)![0]).toMatchObject({ type: 'record.confirm', args: { record_id: 'r1', version: 2 } });
  });

  it('"server" leaves it unconfirmed; nothing to confirm when the current version needs no confirmation', async () => {
    const { c } = await conflict(record());
    expect(planResolution(c, 'server', { userId: 'nurse2', now: '' })).toEqual({});
    const settled = await conflict(record({ awaiting_confirmation: false, entered_by: 'nurse2', versions: [v(1, 'nurse', '初回'), v(2, 'nurse2', '本人が訂正')] }));
    expect(() => planResolution(settled.c, 'mine', { userId: 'nurse2', now: '' })).toThrow(ResolutionError);
  });
});
