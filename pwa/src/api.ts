// The one fetch wrapper of the app. Every call to the server goes through here so
// that cookies, problem+json errors and "no network" are handled the same way.

import type { Problem } from './schemas';

export const API_BASE = '/api/v1';

/** Names the installed app on every request ("<device id>.<proof>", see sync/wipe.ts). */
export const DEVICE_HEADER = 'X-Tsunagu-Device';

/**
 * Answers that tell this device to erase everything it holds at once: the
 * server's wipe instruction, a revoked device, and an account that was
 * suspended, revoked or became dormant.
 */
export const WIPE_CODES: readonly string[] = ['device_wipe', 'device_revoked', 'account_suspended', 'account_revoked', 'account_dormant'];
export const isWipeCode = (code: string | null | undefined): boolean => !!code && WIPE_CODES.includes(code);

/** A problem+json answer (RFC 9457) from the server; `code` is the stable string. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail?: string;
  readonly type: string;
  /** Which fields broke which rule (location + message), when the problem lists them. */
  readonly errors: { location?: string; message?: string }[];
  constructor(status: number, p: Partial<Problem>) {
    super(p.detail || p.title || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = p.code || `http_${status}`;
    this.title = p.title || '';
    this.detail = p.detail;
    this.type = p.type || 'about:blank';
    this.errors = p.errors ?? [];
  }
  toProblem(): Problem {
    return { type: this.type, title: this.title, status: this.status, detail: this.detail, code: this.code };
  }
}

/** The request never got an HTTP answer (offline, DNS, TLS, aborted). Safe to retry. */
export class NetworkError extends Error {
  constructor(cause?: unknown) {
    super('network unavailable', { cause });
    this.name = 'NetworkError';
  }
}

export interface RequestOptions {
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  /** Content-Type for a raw body (ArrayBuffer/Blob); JSON bodies set their own. */
  contentType?: string;
  signal?: AbortSignal;
}

export interface Api {
  request<T>(method: string, path: string, opts?: RequestOptions): Promise<T>;
}

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface ApiOptions {
  base?: string;
  fetch?: FetchLike;
  /** The DEVICE_HEADER value to send, if the device has one. */
  device?: () => Promise<string | undefined>;
  /** Called with the code of an answer in WIPE_CODES; the ApiError is thrown once it has finished. */
  onWipe?: (code: string) => void | Promise<void>;
}

export function createApi(opts: ApiOptions = {}): Api {
  const base = opts.base ?? API_BASE;
  const doFetch: FetchLike = opts.fetch ?? ((i, init) => fetch(i, init));
  return {
    async request<T>(method: string, path: string, o: RequestOptions = {}): Promise<T> {
      let url = base + path;
      if (o.query) {
        const q = new URLSearchParams();
        for (const [k, v] of Object.entries(o.query)) if (v !== undefined && v !== '') q.set(k, String(v));
        const s = q.toString();
        if (s) url += '?' + s;
      }
      const headers: Record<string, string> = { Accept: 'application/json, application/problem+json' };
      const dev = await opts.device?.().catch(() => undefined);
      if (dev) headers[DEVICE_HEADER] = dev;
      let body: BodyInit | undefined;
      if (o.body instanceof ArrayBuffer || o.body instanceof Uint8Array || (typeof Blob !== 'undefined' && o.body instanceof Blob)) {
        body = o.body as BodyInit;
        headers['Content-Type'] = o.contentType ?? 'application/octet-stream';
      } else if (o.body !== undefined) {
        body = JSON.stringify(o.body);
        headers['Content-Type'] = 'application/json';
      }
      let res: Response;
      try {
        res = await doFetch(url, { method, headers, body, credentials: 'same-origin', signal: o.signal, cache: 'no-store' });
      } catch (e) {
        throw new NetworkError(e);
      }
      const ct = res.headers.get('Content-Type') || '';
      if (!res.ok) {
        let p: Partial<Problem> = { status: res.status, title: res.statusText };
        if (ct.includes('json')) {
          try {
            p = { ...p, ...((await res.json()) as Partial<Problem>) };
          } catch {
            /* a broken error body still yields an ApiError with the status */
          }
        }
        const err = new ApiError(res.status, p);
        if (isWipeCode(err.code)) await opts.onWipe?.(err.code);
        throw err;
      }
      if (res.status === 204 || !ct.includes('json')) return undefined as T;
      return (await res.json()) as T;
    },
  };
}
