// A signed-in API session from Node (the "other user" of the scenarios): cookie
// jar, TOTP enrolment on first sign-in, and codes that never repeat (the server
// refuses a replayed code).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { totp } from './totp.mjs';

/**
 * A map kept in a JSON file when E2E_STATE names a directory (scripts/e2e.sh sets
 * it), so that the scenario files, each its own process, share the TOTP secrets
 * enrolled by an earlier one and never reuse a code step the server saw.
 */
class FileMap extends Map {
  constructor(name) {
    super();
    this.file = process.env.E2E_STATE ? join(process.env.E2E_STATE, name) : '';
    if (this.file && existsSync(this.file)) for (const [k, v] of Object.entries(JSON.parse(readFileSync(this.file, 'utf8')))) super.set(k, v);
  }
  set(k, v) {
    super.set(k, v);
    if (this.file) writeFileSync(this.file, JSON.stringify(Object.fromEntries(this)));
    return this;
  }
}

/** TOTP secrets by login id, shared by the API sessions and the browser flows. */
export const secrets = new FileMap('totp-secrets.json');
const lastStep = new FileMap('totp-steps.json');
/** API session cookies by login id: a later scenario reuses a live one instead of signing in again. */
const sessions = new FileMap('api-sessions.json');

/** A fresh code for `login`: never the step used before, waiting if need be. */
export async function nextCode(login) {
  for (;;) {
    const now = Math.floor(Date.now() / 30000);
    const step = Math.max(now, (lastStep.get(login) ?? -1) + 1);
    if (step <= now + 1) {
      lastStep.set(login, step);
      return totp(secrets.get(login), step * 30000);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

export class Client {
  constructor(base) {
    this.base = base;
    this.cookie = '';
  }

  async req(method, path, body, { raw = false, expect } = {}) {
    const headers = { Accept: 'application/json' };
    if (this.cookie) headers.Cookie = this.cookie;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(this.base + '/api/v1' + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), redirect: 'manual' });
    const set = res.headers.getSetCookie?.() ?? [];
    for (const c of set) {
      const kv = c.split(';')[0];
      const [k] = kv.split('=');
      this.cookie = [...this.cookie.split('; ').filter((x) => x && !x.startsWith(k + '=')), kv].join('; ');
    }
    const text = await res.text();
    const json = text && (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text;
    if (expect !== undefined && res.status !== expect) throw new Error(`${method} ${path}: HTTP ${res.status} (want ${expect}): ${text.slice(0, 300)}`);
    return raw ? { status: res.status, body: json } : json;
  }

  /**
   * Signs in, enrolling TOTP when the server asks for it. A new account's initial
   * password is changed to `newPassword` first when the server asks for that.
   */
  async signIn(login, password, newPassword) {
    // A session an earlier scenario file opened for this login, if it is still live:
    // signing in again would wait for a TOTP step the server has not seen yet.
    if (sessions.get(login)) {
      this.cookie = sessions.get(login);
      const me = await this.req('GET', '/me', undefined, { raw: true });
      if (me.status === 200 && me.body.stage === 'full' && me.body.user?.login_id === login) {
        this.me = me.body.user;
        return this;
      }
      this.cookie = '';
    }
    let r = await this.req('POST', '/session', { login_id: login, password }, { raw: true });
    if (r.status === 403 && r.body.code === 'password_change_required') {
      if (!newPassword) throw new Error(`sign-in ${login}: the initial password must be changed`);
      await this.req('PUT', '/me/password', { current_password: password, new_password: newPassword }, { expect: 200 });
      password = newPassword;
      r = await this.req('POST', '/session', { login_id: login, password }, { raw: true });
    }
    if (r.status === 401 && r.body.code === 'totp_required') {
      r = await this.req('POST', '/session', { login_id: login, password, totp_code: await nextCode(login) }, { raw: true });
    }
    if (r.status !== 200) throw new Error(`sign-in ${login}: ${r.status} ${JSON.stringify(r.body)}`);
    if (r.body.stage === 'totp_enrolment') {
      const { secret } = await this.req('POST', '/me/totp', undefined, { expect: 200 });
      secrets.set(login, secret);
      await this.req('POST', '/me/totp/confirm', { code: await nextCode(login) }, { expect: 200 });
    }
    this.me = (await this.req('GET', '/me', undefined, { expect: 200 })).user;
    sessions.set(login, this.cookie);
    return this;
  }
}

/** A UUIDv7 (the server wants client ids of version 7). */
export function uuidv7(ms = Date.now()) {
  const b = new Uint8Array(16);
  globalThis.crypto.getRandomValues(b);
  let t = BigInt(ms);
  for (let i = 5; i >= 0; i--) { b[i] = Number(t & 0xffn); t >>= 8n; }
  b[6] = (b[6] & 0x0f) | 0x70;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
