// When to sync, and what the user should know about it. iPadOS gives a web app no
// background sync, so we sync whenever we get the chance: on launch, on return to
// the app, on reconnect, on a notification tap (service-worker message) and when the
// server's event stream says "pull".

import { ApiError, NetworkError } from '../api';
import { subjectOf, type FlushReport, type Outbox } from './outbox';
import type { Puller } from './pull';

export interface SyncStatus {
  online: boolean;
  syncing: boolean;
  /** Mutations not yet accepted by the server. */
  waiting: number;
  /** Mutations the server refused; `subject` is the record or visit id they are about. */
  failed: { id: string; type: string; code: string; detail?: string; subject?: string }[];
  conflicts: number;
  lastSyncAt: number | null;
  /** Stable code of the last error ('network', an API code), or null. */
  error: string | null;
  /** The server no longer accepts our session: the user must sign in again. */
  needsSignIn: boolean;
  /** Bumped whenever local data changed, so views can reload. */
  revision: number;
}

/** A minimal observable value; the UI adapts it into a signal. */
export class Observable<T> {
  #v: T;
  #subs = new Set<(v: T) => void>();
  constructor(v: T) {
    this.#v = v;
  }
  get(): T {
    return this.#v;
  }
  set(patch: Partial<T>): void {
    this.#v = { ...this.#v, ...patch };
    for (const f of this.#subs) f(this.#v);
  }
  subscribe(f: (v: T) => void): () => void {
    this.#subs.add(f);
    f(this.#v);
    return () => this.#subs.delete(f);
  }
}

export type Trigger = 'launch' | 'visible' | 'online' | 'sw' | 'sse' | 'manual' | 'local';

/** The browser surfaces the engine listens to; injected so tests can drive them. */
export interface EngineEnv {
  window: Pick<EventTarget, 'addEventListener' | 'removeEventListener'>;
  document: Pick<EventTarget, 'addEventListener' | 'removeEventListener'> & { visibilityState: string };
  navigator: { onLine: boolean; serviceWorker?: Pick<EventTarget, 'addEventListener' | 'removeEventListener'> };
  eventSource?: (url: string) => Pick<EventTarget, 'addEventListener'> & { close(): void };
  now?: () => number;
}

export const EVENTS_URL = '/api/v1/events';

export class SyncEngine {
  readonly status: Observable<SyncStatus>;
  #running: Promise<void> | null = null;
  #again = false;
  #es: ReturnType<NonNullable<EngineEnv['eventSource']>> | null = null;
  #off: (() => void)[] = [];
  readonly #now: () => number;

  constructor(private outbox: Outbox, private puller: Puller, private env: EngineEnv) {
    this.#now = env.now ?? Date.now;
    this.status = new Observable<SyncStatus>({
      online: env.navigator.onLine, syncing: false, waiting: 0, failed: [], conflicts: 0,
      lastSyncAt: null, error: null, needsSignIn: false, revision: 0,
    });
  }

  /** Attaches the triggers and runs the launch sync. */
  start(): Promise<void> {
    const on = (t: Pick<EventTarget, 'addEventListener' | 'removeEventListener'>, ev: string, f: (e: Event) => void) => {
      t.addEventListener(ev, f);
      this.#off.push(() => t.removeEventListener(ev, f));
    };
    const { window: w, document: d, navigator: n } = this.env;
    on(d, 'visibilitychange', () => {
      if (d.visibilityState === 'visible') void this.sync('visible');
    });
    on(w, 'online', () => {
      this.status.set({ online: true });
      this.#openEvents();
      void this.sync('online');
    });
    on(w, 'offline', () => this.status.set({ online: false }));
    if (n.serviceWorker) {
      on(n.serviceWorker, 'message', (e) => {
        if ((e as MessageEvent).data?.type === 'sync') void this.sync('sw');
      });
    }
    this.#openEvents();
    return this.sync('launch');
  }

  stop(): void {
    for (const f of this.#off) f();
    this.#off = [];
    this.#es?.close();
    this.#es = null;
  }

  #openEvents() {
    if (this.#es || !this.env.eventSource || !this.env.navigator.onLine) return;
    this.#es = this.env.eventSource(EVENTS_URL);
    this.#es.addEventListener('pull', () => void this.sync('sse'));
  }

  /** Flush, then pull. Calls during a run coalesce into one more run after it. */
  sync(_why: Trigger = 'manual'): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      try {
        do {
          this.#again = false;
          await this.#once();
        } while (this.#again);
      } finally {
        this.#running = null;
      }
    })();
    return this.#running;
  }

  /** Local data changed (e.g. a record was queued): refresh counts, then try to send. */
  async changed(): Promise<void> {
    await this.#refresh({ revision: this.status.get().revision + 1 });
    void this.sync('local');
  }

  async #once(): Promise<void> {
    this.status.set({ syncing: true });
    let report: FlushReport | undefined;
    const patch: Partial<SyncStatus> = { syncing: false };
    try {
      report = await this.outbox.flush();
      if (report.stopped === 'network') throw report.error ?? new NetworkError();
      if (report.stopped === 'error') throw report.error;
      const pulled = await this.puller.pull();
      patch.lastSyncAt = this.#now();
      patch.error = null;
      patch.online = true;
      patch.needsSignIn = false;
      if (pulled.changes > 0 || pulled.purged.length > 0 || pulled.restarted) patch.revision = this.status.get().revision + 1;
    } catch (e) {
      if (e instanceof NetworkError) {
        patch.online = false;
        patch.error = 'network';
      } else if (e instanceof ApiError) {
        patch.error = e.code;
        if (e.status === 401) patch.needsSignIn = true;
      } else {
        patch.error = 'unknown';
      }
    }
    if (report && (report.applied || report.conflicts || report.rejected)) patch.revision = (patch.revision ?? this.status.get().revision) + 1;
    await this.#refresh(patch);
  }

  async #refresh(patch: Partial<SyncStatus>): Promise<void> {
    try {
      const [waiting, failed, conflicts] = await Promise.all([
        this.outbox.pendingCount(),
        this.outbox.failed(),
        this.outbox.conflictCount(),
      ]);
      patch.waiting = waiting;
      patch.conflicts = conflicts;
      patch.failed = failed.map((f) => ({ id: f.mutation.id, type: f.mutation.type, code: f.problem.code, detail: f.problem.detail, subject: subjectOf(f.mutation) }));
    } catch {
      /* locked or wiped meanwhile: keep the last counts */
    }
    this.status.set(patch);
  }
}
