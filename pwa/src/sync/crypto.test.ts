import { afterEach, describe, expect, it, vi } from 'vitest';
import { LockedError, Vault, MAX_PIN_FAILURES } from './crypto';
import { openDatabase, type DB } from './db';
import { Entities } from './entities';
import { Outbox } from './outbox';
import { SECRET, fakeServer, json, mustOpenDB, mustVault } from './testing';

const CANARY = '山田花子-CANARY-褥瘡';

/** Every value in every store, as text a person with the raw database could read. */
async function rawText(db: DB): Promise<string> {
  const parts: string[] = [];
  const dec = new TextDecoder('utf-8', { fatal: false });
  const walk = (v: unknown): void => {
    if (v instanceof ArrayBuffer) parts.push(dec.decode(v));
    else if (ArrayBuffer.isView(v)) parts.push(dec.decode(v as Uint8Array));
    else if (typeof v === 'string') parts.push(v);
    else if (v && typeof v === 'object') for (const x of Object.values(v)) walk(x);
  };
  for (const store of db.objectStoreNames) {
    for (const v of await db.getAll(store)) walk(v);
    for (const k of await db.getAllKeys(store)) walk(k);
  }
  return parts.join('\n');
}

describe('Vault', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('round-trips values and bytes', async () => {
    const v = await mustVault(await mustOpenDB());
    const s = await v.seal({ name: CANARY, n: 1 });
    expect(s.iv).toHaveLength(12);
    expect(await v.open(s)).toEqual({ name: CANARY, n: 1 });
    const b = await v.sealBytes(new Uint8Array([1, 2, 3]));
    expect(Array.from(await v.openBytes(b))).toEqual([1, 2, 3]);
    const s2 = await v.seal({ name: CANARY, n: 1 });
    expect(s2.iv).not.toEqual(s.iv); // fresh IV per value
  });

  it('reopens with the right PIN offline and refuses a wrong one', async () => {
    const db = await mustOpenDB();
    const v = await mustVault(db, '2468');
    const s = await v.seal('x');
    const again = new Vault(db, { iterations: 1000 });
    await expect(again.unlock('1357')).rejects.toMatchObject({ reason: 'wrong_pin' });
    expect(again.unlocked).toBe(false);
    await expect(again.open(s)).rejects.toBeInstanceOf(LockedError);
    await again.unlock('2468'); // offline: the stored device secret is used
    expect(await again.open(s)).toBe('x');
  });

  it('cannot open the data with the PIN and another device secret', async () => {
    const db = await mustOpenDB();
    await mustVault(db, '2468');
    // Forge the stored secret: with the right PIN the key still differs.
    const m = (await db.get('meta', 'vault')) as { secret: string };
    await db.put('meta', { ...m, secret: btoa('some-other-secret') }, 'vault');
    await expect(new Vault(db, { iterations: 1000 }).unlock('2468')).rejects.toMatchObject({ reason: 'wrong_pin' });
  });

  it('is locked once the device secret has expired', async () => {
    const db = await mustOpenDB();
    let now = Date.parse('2030-01-01T00:00:00Z');
    const v = new Vault(db, { iterations: 1000, now: () => now });
    await v.unlock('2468', { secret: SECRET.secret, expires_at: '2030-01-02T00:00:00Z' });
    const s = await v.seal('x');
    now = Date.parse('2030-01-02T00:00:01Z');
    expect(v.unlocked).toBe(false);
    await expect(v.open(s)).rejects.toMatchObject({ reason: 'expired' });
    await expect(new Vault(db, { iterations: 1000, now: () => now }).unlock('2468')).rejects.toMatchObject({ reason: 'expired' });
    // The server renews the same secret: unlocked again, data intact.
    await v.unlock('2468', { secret: SECRET.secret, expires_at: '2030-02-01T00:00:00Z' });
    expect(await v.open(s)).toBe('x');
  });

  it('re-encrypts everything when the server hands out a new secret', async () => {
    const db = await mustOpenDB();
    const v = await mustVault(db, '2468');
    const ents = new Entities(db, v);
    await ents.put('patient', { id: 'p1', name: CANARY });
    await v.unlock('2468', { secret: btoa('rotated-secret'), expires_at: SECRET.expires_at });
    const fresh = new Vault(db, { iterations: 1000 });
    await fresh.unlock('2468');
    expect(await new Entities(db, fresh).get('patient', 'p1')).toEqual({ id: 'p1', name: CANARY });
  });

  it('wipes the device after too many wrong PINs', async () => {
    const db = await mustOpenDB();
    await mustVault(db, '2468');
    const name = db.name;
    const v = new Vault(db, { iterations: 1000 });
    for (let i = 1; i < MAX_PIN_FAILURES; i++) await expect(v.unlock('0000')).rejects.toMatchObject({ reason: 'wrong_pin' });
    await expect(v.unlock('0000')).rejects.toMatchObject({ reason: 'wiped' });
    expect((await indexedDB.databases()).map((d) => d.name)).not.toContain(name);
  });

  it('leaves nothing readable in IndexedDB', async () => {
    const db = await mustOpenDB();
    // Eight digits: the stored ids are hex and the secrets base64, in which
    // a four-digit PIN turns up by chance (a UUIDv7 of 2026-12-05 began
    // 01a2468…, whose time is its first digits).
    const pin = '93817465';
    const v = await mustVault(db, pin);
    const { api } = fakeServer(() => json({ results: [] }));
    const outbox = new Outbox(db, v, api, async () => 'dev-1');
    await new Entities(db, v).put('patient', { id: 'p1', name: CANARY, name_kana: 'やまだはなこ' });
    await new Entities(db, v).put('record', { id: 'r1', patient_id: 'p1', text: CANARY });
    await outbox.enqueue('record.create', { patient_id: 'p1', text: CANARY });
    await outbox.addBlob(new TextEncoder().encode(`JPEG ${CANARY}`), 'image/jpeg', 'p1');
    const text = await rawText(db);
    expect(text.length).toBeGreaterThan(0);
    expect(text).not.toContain(CANARY);
    expect(text).not.toContain('CANARY');
    expect(text).not.toContain('やまだ');
    expect(text).not.toContain(pin); // the PIN is never stored
  });

  it('wipe deletes the database, non-shell caches and the app\'s storage keys, and forgets the key', async () => {
    const db = await mustOpenDB();
    const v = await mustVault(db);
    const s = await v.seal('x');
    const cacheNames = new Set(['workbox-precache-v2-https://app.test/', 'photos-v1', 'api-misc']);
    vi.stubGlobal('caches', {
      keys: async () => [...cacheNames],
      delete: async (n: string) => cacheNames.delete(n),
    });
    const mkStorage = (init: Record<string, string>) => {
      const m = new Map(Object.entries(init));
      return { get length() { return m.size; }, key: (i: number) => [...m.keys()][i] ?? null, removeItem: (k: string) => void m.delete(k), getItem: (k: string) => m.get(k) ?? null, _m: m };
    };
    const ls = mkStorage({ 'tsunagu.lang': 'ja', 'tsunagu.last_patient': 'p1', other: 'keep' });
    const ss = mkStorage({ 'tsunagu.draft': '...' });
    vi.stubGlobal('localStorage', ls);
    vi.stubGlobal('sessionStorage', ss);
    const name = db.name;
    await v.wipe();
    expect((await indexedDB.databases()).map((d) => d.name)).not.toContain(name);
    expect([...cacheNames]).toEqual(['workbox-precache-v2-https://app.test/']);
    expect([...ls._m.keys()]).toEqual(['other']);
    expect(ss._m.size).toBe(0);
    expect(v.unlocked).toBe(false);
    await expect(v.open(s)).rejects.toBeInstanceOf(LockedError);
    const reopened = await openDatabase(name);
    for (const st of reopened.objectStoreNames) expect(await reopened.count(st)).toBe(0);
  });
});
