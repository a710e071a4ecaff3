// Test fixtures for the sync engine: a fresh database, an unlocked vault and a fake
// server answering the app's fetches. Imported only by *.test.ts files.

import { createApi, type Api } from '../api';
import { Vault } from './crypto';
import { openDatabase, type DB } from './db';

let n = 0;

export const SECRET = { secret: btoa('server-device-secret-0123456789'), expires_at: '2999-01-01T00:00:00Z' };

export async function mustOpenDB(): Promise<DB> {
  return openDatabase(`test-${++n}-${Math.random().toString(36).slice(2)}`);
}

export async function mustVault(db: DB, pin = '2468'): Promise<Vault> {
  const v = new Vault(db, { iterations: 1000 });
  await v.unlock(pin, SECRET);
  return v;
}

export interface Call { method: string; path: string; query: URLSearchParams; body: unknown; raw?: Uint8Array; contentType: string | null }

export type Handler = (c: Call) => Response | Promise<Response>;

/** An Api whose fetches go to `handler`; every call is recorded in `calls`. */
export function fakeServer(handler: Handler): { api: Api; calls: Call[] } {
  const calls: Call[] = [];
  const api = createApi({
    fetch: async (input, init) => {
      const u = new URL(input, 'http://app.test');
      const headers = init.headers as Record<string, string>;
      const ct = headers['Content-Type'] ?? null;
      let body: unknown;
      let raw: Uint8Array | undefined;
      if (typeof init.body === 'string') body = JSON.parse(init.body);
      else if (init.body instanceof Uint8Array) raw = init.body;
      else if (init.body instanceof ArrayBuffer) raw = new Uint8Array(init.body);
      const c: Call = { method: init.method ?? 'GET', path: u.pathname, query: u.searchParams, body, raw, contentType: ct };
      calls.push(c);
      return handler(c);
    },
  });
  return { api, calls };
}

export function json(v: unknown, status = 200): Response {
  return new Response(JSON.stringify(v), { status, headers: { 'Content-Type': 'application/json' } });
}

export function problem(status: number, code: string, detail = ''): Response {
  return new Response(JSON.stringify({ type: 'about:blank', title: 'x', status, code, detail }), {
    status,
    headers: { 'Content-Type': 'application/problem+json' },
  });
}

export function offline(): never {
  throw new TypeError('Failed to fetch');
}
