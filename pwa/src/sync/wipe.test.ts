import { describe, expect, it } from 'vitest';
import { ApiError, DEVICE_HEADER, NetworkError, WIPE_CODES } from '../api';
import { openDatabase, setMeta, type DB } from './db';
import { Entities } from './entities';
import { SECRET, mustOpenDB, mustVault } from './testing';
import { deviceApi, deviceHeader, deviceProof, onceAtATime } from './wipe';

const DEVICE = '01900000-0000-7000-8000-0000000000a1';

/** A device holding one patient's record, with its id and vault. */
async function mustDevice() {
  const db = await mustOpenDB();
  const vault = await mustVault(db);
  await setMeta(db, 'device_id', DEVICE);
  await new Entities(db, vault).put('record', { id: 'r1', patient_id: 'p1', text: '褥瘡あり' });
  return { db, vault, name: db.name };
}

async function gone(name: string): Promise<boolean> {
  if ((await indexedDB.databases()).some((d) => d.name === name)) {
    const db: DB = await openDatabase(name);
    const n = await db.count('entities');
    db.close();
    return n === 0;
  }
  return true;
}

function answering(status: number, code: string, seen: Record<string, string>[] = []) {
  return async (_u: string, init: RequestInit) => {
    seen.push(init.headers as Record<string, string>);
    return new Response(JSON.stringify({ status, code, title: 'x' }), { status, headers: { 'Content-Type': 'application/problem+json' } });
  };
}

describe('device wipe', () => {
  it('proves the device secret the way the server checks it (api.DeviceProof)', async () => {
    // The value Go's api.DeviceProof gives for the same secret.
    expect(await deviceProof(SECRET.secret)).toBe('tDayDql1sRsR8PsNBLKW3vUD_sTSkGjUk8WK2FGWeA8');
  });

  it('names the device on every request once its vault holds the secret, never the secret itself', async () => {
    const empty = await mustOpenDB();
    expect(await deviceHeader(empty)).toBeUndefined(); // no id, no vault: nothing to name, nothing held
    const { db } = await mustDevice();
    const seen: Record<string, string>[] = [];
    const api = deviceApi({ db: () => db, wipe: async () => undefined, fetch: answering(401, 'unauthenticated', seen) });
    await api.request('GET', '/me').catch(() => undefined);
    expect(seen[0]?.[DEVICE_HEADER]).toBe(`${DEVICE}.${await deviceProof(SECRET.secret)}`);
    expect(JSON.stringify(seen)).not.toContain(SECRET.secret);
  });

  for (const code of WIPE_CODES) {
    it(`erases the data and keys at once on ${code}`, async () => {
      const { db, vault, name } = await mustDevice();
      const api = deviceApi({ db: () => db, wipe: () => vault.wipe(), fetch: answering(code === 'device_wipe' ? 401 : 403, code) });
      const e: unknown = await api.request('POST', '/sync/push', { body: {} }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(ApiError);
      expect((e as ApiError).code).toBe(code);
      // By the time the request fails, the data is gone and the key forgotten.
      expect(vault.unlocked).toBe(false);
      expect(await gone(name)).toBe(true);
    });
  }

  for (const [status, code] of [[401, 'unauthenticated'], [401, 'session_expired'], [403, 'forbidden'], [403, 'password_expired'], [401, 'invalid_credentials']] as const) {
    it(`keeps the data on ${code} (only a wipe code erases)`, async () => {
      const { db, vault, name } = await mustDevice();
      const api = deviceApi({ db: () => db, wipe: () => vault.wipe(), fetch: answering(status, code) });
      await expect(api.request('GET', '/me')).rejects.toMatchObject({ code });
      expect(vault.unlocked).toBe(true);
      expect(await gone(name)).toBe(false);
    });
  }

  it('keeps the data when offline', async () => {
    const { db, vault, name } = await mustDevice();
    const api = deviceApi({ db: () => db, wipe: () => vault.wipe(), fetch: async () => { throw new TypeError('Failed to fetch'); } });
    await expect(api.request('GET', '/me')).rejects.toBeInstanceOf(NetworkError);
    expect(await gone(name)).toBe(false);
  });

  it('wipes once when several requests are told to at the same time', async () => {
    let runs = 0;
    let release!: () => void;
    const wipe = onceAtATime(() => new Promise<void>((r) => ((runs++), (release = r))));
    const a = wipe();
    const b = wipe();
    release();
    await Promise.all([a, b]);
    expect(runs).toBe(1);
    const c = wipe(); // a later answer wipes again (e.g. after the next sign-in)
    release();
    await c;
    expect(runs).toBe(2);
  });
});
