/// <reference lib="webworker" />
// The service worker: keeps the app shell so the app opens without signal, shows
// every push as a notification (iOS revokes push for silent ones), and brings the app
// to the patient on a tap. It never caches API responses: patient data lives only in
// the encrypted IndexedDB, where wipe() can reach it.

import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';
import { targetOf } from './push-target';

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: (string | { url: string; revision: string | null })[] };

// The build injects the versioned shell list; /api/ is never in it.
precacheAndRoute(self.__WB_MANIFEST.filter((e) => !(typeof e === 'string' ? e : e.url).startsWith('api/')));
cleanupOutdatedCaches();
// Navigations (not /api/, not the iCalendar feed) get the cached shell.
registerRoute(new NavigationRoute(createHandlerBoundToURL('index.html'), { denylist: [/^\/api\//, /^\/healthz/, /^\/openapi/] }));

self.addEventListener('install', () => void self.skipWaiting());
self.addEventListener('activate', (e) => e.waitUntil(self.clients.claim()));

interface PushPayload { type?: string; title?: string; body?: string; patient_id?: string; record_id?: string; message_id?: string; tag?: string }

const FALLBACK_TITLE = 'つなぐ';
const FALLBACK_BODY = '新しい記録があります';

self.addEventListener('push', (e) => {
  let p: PushPayload = {};
  try {
    p = (e.data?.json() as PushPayload) ?? {};
  } catch {
    /* not JSON: still show the generic notification */
  }
  // Always show something: a push without a notification gets the subscription revoked.
  e.waitUntil(
    self.registration.showNotification(p.title || FALLBACK_TITLE, {
      body: p.body || FALLBACK_BODY,
      tag: p.tag || p.patient_id || 'tsunagu',
      icon: '/icons/icon-192.png',
      badge: '/icons/icon-192.png',
      data: { type: p.type, patient_id: p.patient_id, record_id: p.record_id, message_id: p.message_id },
    }),
  );
});

self.addEventListener('notificationclick', (e) => {
  e.notification.close();
  const url = targetOf(e.notification.data as PushPayload | null);
  e.waitUntil(
    (async () => {
      const wins = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
      const win = wins[0];
      if (win) {
        await win.focus();
        if ('navigate' in win) await win.navigate(url).catch(() => undefined);
      } else {
        await self.clients.openWindow(url);
      }
      // Tell every open app to sync now: iPadOS has no background sync.
      for (const c of await self.clients.matchAll({ type: 'window', includeUncontrolled: true })) c.postMessage({ type: 'sync' });
    })(),
  );
});

self.addEventListener('pushsubscriptionchange', (ev) => {
  const e = ev as ExtendableEvent & { oldSubscription?: PushSubscription | null; newSubscription?: PushSubscription | null };
  e.waitUntil(
    (async () => {
      let sub = e.newSubscription ?? null;
      if (!sub) {
        let key = e.oldSubscription?.options.applicationServerKey ?? null;
        if (!key) {
          const r = await fetch('/api/v1/push/key', { credentials: 'same-origin' });
          const { public_key } = (await r.json()) as { public_key: string };
          key = Uint8Array.from(atob(public_key.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0)).buffer;
        }
        sub = await self.registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
      }
      const j = sub.toJSON();
      await fetch('/api/v1/push/subscriptions', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ endpoint: sub.endpoint, keys: { p256dh: j.keys?.p256dh ?? '', auth: j.keys?.auth ?? '' } }),
      });
    })(),
  );
});
