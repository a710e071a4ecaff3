// Encryption at rest for everything the app stores about patients.
//
// key = HKDF-SHA-256( PBKDF2-SHA-256(PIN, salt, N) || device secret, salt, "tsunagu/idb/v1" )
//
// The PIN alone cannot open the data (the server's device secret is needed too), and
// the device secret alone cannot either. The key is a non-extractable CryptoKey held
// in memory only; every value gets a fresh random 12-byte IV. The device secret is
// kept on the device until it expires so the app can be unlocked offline; once it has
// expired the vault stays locked until the server renews it (the outbox is kept, so
// nothing written offline is lost). Ten wrong PINs in a row wipe the device.

import { deleteDatabase, getMeta, setMeta, type DB, type Sealed } from './db';
import type { DeviceSecret } from '../schemas';

export type { DeviceSecret };

export type LockReason = 'no_vault' | 'expired' | 'wrong_pin' | 'locked' | 'wiped';

export class LockedError extends Error {
  constructor(readonly reason: LockReason) {
    super(`vault locked: ${reason}`);
    this.name = 'LockedError';
  }
}

interface VaultMeta {
  salt: Uint8Array;
  iterations: number;
  secret: string; // base64, from the server
  expires_at: string;
  check: Sealed; // CHECK sealed with the key: proves the PIN without storing it
  failures: number;
}

const CHECK = 'tsunagu-vault-check';
export const MAX_PIN_FAILURES = 10;
export const APP_STORAGE_PREFIX = 'tsunagu.';
const enc = new TextEncoder();
const dec = new TextDecoder();

export function fromBase64(s: string): Uint8Array {
  const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

async function deriveKey(pin: string, secret: string, salt: Uint8Array, iterations: number): Promise<CryptoKey> {
  const s = crypto.subtle;
  const pinKey = await s.importKey('raw', enc.encode(pin), 'PBKDF2', false, ['deriveBits']);
  const stretched = new Uint8Array(
    await s.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt: salt as BufferSource, iterations }, pinKey, 256),
  );
  const sec = fromBase64(secret);
  const ikm = new Uint8Array(stretched.length + sec.length);
  ikm.set(stretched);
  ikm.set(sec, stretched.length);
  const hk = await s.importKey('raw', ikm, 'HKDF', false, ['deriveKey']);
  return s.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: salt as BufferSource, info: enc.encode('tsunagu/idb/v1') },
    hk,
    { name: 'AES-GCM', length: 256 },
    false, // non-extractable
    ['encrypt', 'decrypt'],
  );
}

async function sealWith(key: CryptoKey, bytes: Uint8Array): Promise<Sealed> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, bytes as BufferSource);
  return { iv, ct };
}

async function openWith(key: CryptoKey, s: Sealed): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: s.iv as BufferSource }, key, s.ct));
}

export interface VaultOptions {
  /** PBKDF2 rounds for a new vault; tests lower it. */
  iterations?: number;
  now?: () => number;
}

export class Vault {
  #key: CryptoKey | null = null;
  #expiresAt = 0;
  readonly #iterations: number;
  readonly #now: () => number;

  constructor(private db: DB, opts: VaultOptions = {}) {
    this.#iterations = opts.iterations ?? 600_000;
    this.#now = opts.now ?? Date.now;
  }

  async exists(): Promise<boolean> {
    return (await getMeta(this.db, 'vault')) !== undefined;
  }

  /** Is the key in memory and the device secret still valid? */
  get unlocked(): boolean {
    return this.#key !== null && this.#now() < this.#expiresAt;
  }

  /**
   * Derives the key and proves it against the stored check value. Creates the vault
   * on first use. `device` is a fresh secret from the server; without it the stored
   * one is used (offline unlock). A changed secret re-encrypts every stored value.
   * Throws LockedError('expired' | 'wrong_pin' | 'no_vault' | 'wiped').
   */
  async unlock(pin: string, device?: DeviceSecret): Promise<void> {
    const m = await getMeta<VaultMeta>(this.db, 'vault');
    if (!m) {
      if (!device) throw new LockedError('no_vault');
      if (this.#expired(device.expires_at)) throw new LockedError('expired');
      const salt = crypto.getRandomValues(new Uint8Array(16));
      const key = await deriveKey(pin, device.secret, salt, this.#iterations);
      const check = await sealWith(key, enc.encode(CHECK));
      await setMeta(this.db, 'vault', { salt, iterations: this.#iterations, secret: device.secret, expires_at: device.expires_at, check, failures: 0 } satisfies VaultMeta);
      this.#set(key, device.expires_at);
      return;
    }
    const expiresAt = device?.expires_at ?? m.expires_at;
    if (this.#expired(expiresAt)) throw new LockedError('expired');
    const key = await deriveKey(pin, m.secret, m.salt, m.iterations);
    if (!(await this.#proves(key, m.check))) {
      m.failures++;
      if (m.failures >= MAX_PIN_FAILURES) {
        await this.wipe();
        throw new LockedError('wiped');
      }
      await setMeta(this.db, 'vault', m);
      throw new LockedError('wrong_pin');
    }
    m.failures = 0;
    m.expires_at = expiresAt;
    if (device && device.secret !== m.secret) {
      const next = await deriveKey(pin, device.secret, m.salt, m.iterations);
      await this.#rekey(key, next);
      m.secret = device.secret;
      m.check = await sealWith(next, enc.encode(CHECK));
      this.#set(next, expiresAt);
    } else {
      this.#set(key, expiresAt);
    }
    await setMeta(this.db, 'vault', m);
  }

  /** Forgets the key (the data stays, sealed). */
  lock(): void {
    this.#key = null;
  }

  async seal(value: unknown): Promise<Sealed> {
    return sealWith(this.#k(), enc.encode(JSON.stringify(value)));
  }

  async open<T>(s: Sealed): Promise<T> {
    return JSON.parse(dec.decode(await openWith(this.#k(), s))) as T;
  }

  async sealBytes(bytes: ArrayBuffer | Uint8Array): Promise<Sealed> {
    return sealWith(this.#k(), bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes));
  }

  async openBytes(s: Sealed): Promise<Uint8Array> {
    return openWith(this.#k(), s);
  }

  /** Deletes everything the app keeps on this device and forgets the key. */
  async wipe(): Promise<void> {
    this.#key = null;
    await wipeDevice(this.db);
  }

  #k(): CryptoKey {
    if (!this.#key) throw new LockedError('locked');
    if (this.#now() >= this.#expiresAt) {
      this.#key = null;
      throw new LockedError('expired');
    }
    return this.#key;
  }

  #set(key: CryptoKey, expiresAt: string) {
    this.#key = key;
    this.#expiresAt = Date.parse(expiresAt);
  }

  #expired(expiresAt: string): boolean {
    const t = Date.parse(expiresAt);
    return !(t > this.#now());
  }

  async #proves(key: CryptoKey, check: Sealed): Promise<boolean> {
    try {
      return dec.decode(await openWith(key, check)) === CHECK;
    } catch {
      return false;
    }
  }

  async #rekey(from: CryptoKey, to: CryptoKey): Promise<void> {
    // Decrypt everything first (crypto is async and would end an IDB transaction),
    // then write it all back in one transaction so a crash leaves the old state.
    const redo = async (s: Sealed) => sealWith(to, await openWith(from, s));
    const ent = await this.db.getAll('entities');
    const out = await this.db.getAll('outbox');
    const blobs = await this.db.getAll('blobs');
    const conf = await this.db.getAll('conflicts');
    for (const r of ent) r.sealed = await redo(r.sealed);
    for (const r of out) {
      r.sealed = await redo(r.sealed);
      if (r.problem) r.problem = await redo(r.problem);
    }
    for (const r of blobs) r.sealed = await redo(r.sealed);
    for (const r of conf) r.sealed = await redo(r.sealed);
    const tx = this.db.transaction(['entities', 'outbox', 'blobs', 'conflicts'], 'readwrite');
    await Promise.all([
      ...ent.map((r) => tx.objectStore('entities').put(r)),
      ...out.map((r) => tx.objectStore('outbox').put(r)),
      ...blobs.map((r) => tx.objectStore('blobs').put(r)),
      ...conf.map((r) => tx.objectStore('conflicts').put(r)),
      tx.done,
    ]);
  }
}

/** Is this Cache Storage entry the app shell (kept so the app still opens)? */
export function isAppShellCache(name: string): boolean {
  return name.startsWith('workbox-precache');
}

/**
 * Deletes the database, every Cache Storage entry except the app shell and the app's
 * localStorage/sessionStorage keys. Safe to call when some of them do not exist.
 */
export async function wipeDevice(db: DB | null): Promise<void> {
  await deleteDatabase(db);
  const g = globalThis as { caches?: CacheStorage; localStorage?: Storage; sessionStorage?: Storage };
  if (g.caches) {
    for (const name of await g.caches.keys()) if (!isAppShellCache(name)) await g.caches.delete(name);
  }
  for (const st of [g.localStorage, g.sessionStorage]) {
    if (!st) continue;
    const keys: string[] = [];
    for (let i = 0; i < st.length; i++) {
      const k = st.key(i);
      if (k?.startsWith(APP_STORAGE_PREFIX)) keys.push(k);
    }
    for (const k of keys) st.removeItem(k);
  }
}
