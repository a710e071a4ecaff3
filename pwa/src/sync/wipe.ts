// Revocation reaches the device: the app names its device on every request, and
// the server answers a device whose account was suspended, revoked or became
// dormant (or a revoked device) with a wipe code (api.ts WIPE_CODES), on which
// the app erases its data and keys at once. The header carries the device id and
// a proof of holding the device secret — a hash of it, never the secret — so that
// someone who knows only the id learns nothing from the server.

import { createApi, type Api, type FetchLike } from '../api';
import { getMeta, type DB } from './db';

const enc = new TextEncoder();

function base64url(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += String.fromCharCode(x);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The server's DeviceProof: unpadded base64url SHA-256 of a label and the secret as given. */
export async function deviceProof(secret: string): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', enc.encode('tsunagu/device-proof/v1\0' + secret))));
}

/**
 * The DEVICE_HEADER value, "<device id>.<proof>"; undefined until the device has
 * an id and its vault holds the server's secret (before that it holds no data).
 */
export async function deviceHeader(db: DB): Promise<string | undefined> {
  const id = await getMeta<string>(db, 'device_id');
  const vault = await getMeta<{ secret?: string }>(db, 'vault');
  if (!id || !vault?.secret) return undefined;
  return `${id}.${await deviceProof(vault.secret)}`;
}

/** Runs `wipe` once however many answers ask for it together; later asks run it again. */
export function onceAtATime(wipe: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | null = null;
  return () => (running ??= wipe().finally(() => (running = null)));
}

/**
 * The app's Api: names the device held by `db()` on every request and runs `wipe`
 * on a wipe answer, whichever request got it (sync, sign-in, a screen's read).
 * The request fails with its ApiError once the data is gone.
 */
export function deviceApi(opts: { db: () => DB | undefined; wipe: () => Promise<void>; fetch?: FetchLike; base?: string }): Api {
  const wipe = onceAtATime(opts.wipe);
  return createApi({
    base: opts.base,
    fetch: opts.fetch,
    device: async () => {
      const db = opts.db();
      return db ? deviceHeader(db) : undefined;
    },
    onWipe: () => wipe().catch(() => undefined),
  });
}
