// Web Push subscription: asked for from a tap (iPadOS requires it) and re-registered
// on every launch, because iOS may replace a subscription without telling the app.

import type { Api } from './api';
import type { PushKey, PushSubscriptionIn } from './schemas';
import { fromBase64 } from './sync/crypto';

export function pushSupported(): boolean {
  return 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
}

/** Called from a tap: asks permission, subscribes and registers with the server. */
export async function enableNotifications(api: Api): Promise<NotificationPermission> {
  if (!pushSupported()) return 'denied';
  const p = await Notification.requestPermission();
  if (p === 'granted') await ensurePushSubscription(api);
  return p;
}

export async function ensurePushSubscription(api: Api): Promise<void> {
  if (!pushSupported() || Notification.permission !== 'granted') return;
  const reg = await navigator.serviceWorker.ready;
  let sub = await reg.pushManager.getSubscription();
  if (!sub) {
    const { public_key } = await api.request<PushKey>('GET', '/push/key');
    sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: fromBase64(public_key) as BufferSource });
  }
  await api.request('POST', '/push/subscriptions', { body: subscriptionBody(sub) });
}

export async function dropPushSubscription(api: Api): Promise<void> {
  if (!pushSupported()) return;
  const sub = await (await navigator.serviceWorker.ready).pushManager.getSubscription();
  if (!sub) return;
  await api.request('DELETE', '/push/subscriptions', { body: { endpoint: sub.endpoint } });
  await sub.unsubscribe();
}

export function subscriptionBody(sub: PushSubscription): PushSubscriptionIn {
  const j = sub.toJSON();
  return { endpoint: sub.endpoint, keys: { p256dh: j.keys?.p256dh ?? '', auth: j.keys?.auth ?? '' } };
}
