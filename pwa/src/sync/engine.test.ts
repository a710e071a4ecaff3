import { describe, expect, it } from 'vitest';
import type { PullResponse, PushRequest } from '../schemas';
import { SyncEngine, EVENTS_URL, type EngineEnv } from './engine';
import { Outbox } from './outbox';
import { Puller } from './pull';
import { fakeServer, json, mustOpenDB, mustVault, offline, problem, type Call, type Handler } from './testing';

function env() {
  const window = new EventTarget();
  const document = Object.assign(new EventTarget(), { visibilityState: 'hidden' });
  const serviceWorker = new EventTarget();
  const navigator = { onLine: true, serviceWorker };
  const sources: { url: string; target: EventTarget; closed: boolean }[] = [];
  const e: EngineEnv = {
    window, document, navigator, now: () => 1234,
    eventSource: (url) => {
      const s = { url, target: new EventTarget(), closed: false };
      sources.push(s);
      return { addEventListener: s.target.addEventListener.bind(s.target), close: () => void (s.closed = true) };
    },
  };
  return { e, window, document, serviceWorker, navigator, sources };
}

const emptyPull: PullResponse = { changes: [], cursor: 'c', has_more: false, resets: [] };

async function setup(handler: Handler) {
  const db = await mustOpenDB();
  const vault = await mustVault(db);
  await db.put('meta', 'c0', 'cursor'); // a device that has synced before
  const srv = fakeServer(handler);
  const outbox = new Outbox(db, vault, srv.api, async () => 'd1');
  const ev = env();
  const engine = new SyncEngine(outbox, new Puller(db, vault, srv.api), ev.e);
  return { engine, outbox, ...srv, ...ev };
}

const ok: Handler = (c: Call) =>
  c.path.endsWith('/push') ? json({ results: ((c.body as PushRequest).mutations ?? []).map((m) => ({ id: m.id, status: 'applied' })) }) : json(emptyPull);

const pulls = (calls: Call[]) => calls.filter((c) => c.path === '/api/v1/sync/pull').length;
const tick = () => new Promise((r) => setTimeout(r, 20));

describe('SyncEngine', () => {
  it('syncs on launch, flushing before pulling, and records the time', async () => {
    const { engine, outbox, calls } = await setup(ok);
    await outbox.enqueue('record.read', { record_id: 'r1' });
    await engine.start();
    expect(calls.map((c) => c.path)).toEqual(['/api/v1/sync/push', '/api/v1/sync/pull']);
    expect(engine.status.get()).toMatchObject({ waiting: 0, lastSyncAt: 1234, error: null, online: true, syncing: false });
  });

  it('syncs on visible, online, a service-worker message and an SSE pull event', async () => {
    const { engine, calls, window, document, serviceWorker, sources } = await setup(ok);
    await engine.start();
    expect(sources.map((s) => s.url)).toEqual([EVENTS_URL]);
    document.visibilityState = 'visible';
    document.dispatchEvent(new Event('visibilitychange'));
    await tick();
    window.dispatchEvent(new Event('online'));
    await tick();
    serviceWorker.dispatchEvent(new MessageEvent('message', { data: { type: 'sync' } }));
    await tick();
    serviceWorker.dispatchEvent(new MessageEvent('message', { data: { type: 'other' } }));
    await tick();
    sources[0]!.target.dispatchEvent(new Event('pull'));
    await tick();
    expect(pulls(calls)).toBe(5);
    engine.stop();
    expect(sources[0]!.closed).toBe(true);
    document.dispatchEvent(new Event('visibilitychange'));
    await tick();
    expect(pulls(calls)).toBe(5);
  });

  it('coalesces triggers that arrive during a sync into one more run', async () => {
    const { engine, calls } = await setup(ok);
    await Promise.all([engine.sync(), engine.sync(), engine.sync(), engine.sync()]);
    expect(pulls(calls)).toBe(2);
  });

  it('reports offline and keeps the waiting count when the network is gone', async () => {
    const { engine, outbox } = await setup(() => offline());
    await outbox.enqueue('record.read', { record_id: 'r1' });
    await engine.sync();
    expect(engine.status.get()).toMatchObject({ online: false, waiting: 1, error: 'network', lastSyncAt: null });
  });

  it('shows failed items with their reason and asks for sign-in on 401', async () => {
    let signedIn = true;
    const { engine, outbox } = await setup((c) => {
      if (!signedIn) return problem(401, 'unauthenticated');
      if (c.path.endsWith('/push')) {
        return json({ results: ((c.body as PushRequest).mutations ?? []).map((m) => ({ id: m.id, status: 'rejected', problem: { type: 'x', title: 't', status: 403, code: 'forbidden', detail: 'not on team' } })) });
      }
      return json(emptyPull);
    });
    const m = await outbox.enqueue('record.create', { patient_id: 'p1' });
    await engine.sync();
    expect(engine.status.get().failed).toEqual([{ id: m.id, type: 'record.create', code: 'forbidden', detail: 'not on team' }]);
    signedIn = false;
    await outbox.enqueue('record.read', { record_id: 'r1' });
    await engine.sync();
    expect(engine.status.get()).toMatchObject({ needsSignIn: true, error: 'unauthenticated', waiting: 1 });
  });

  it('bumps the revision when pulled data changed', async () => {
    const { engine } = await setup((c) => (c.path.endsWith('/pull') ? json({ ...emptyPull, changes: [{ entity: 'patient', op: 'upsert', data: { id: 'p1' } }] }) : json({ results: [] })));
    const seen: number[] = [];
    engine.status.subscribe((s) => seen.push(s.revision));
    await engine.sync();
    expect(engine.status.get().revision).toBe(1);
    expect(seen.at(-1)).toBe(1);
  });
});
