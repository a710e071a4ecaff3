// The navigation entry of staff messages (スタッフ連絡) with its unread count. Part of
// the first load, so it stays tiny: the screen itself (ui/inbox.tsx) loads lazily.
// The count is asked for when the app is shown, online, and every few minutes;
// the screen updates it as the user reads.

import { useEffect } from 'preact/hooks';
import { t } from '../i18n';
import { api, staffUnread, status } from '../state';

// The count lives in state.ts, which clears it on sign-out and wipe.
export { staffUnread };

const EVERY_MS = 3 * 60_000;

function refresh() {
  if (document.visibilityState !== 'visible' || !(status.value?.online ?? navigator.onLine)) return;
  api.request<{ unread: number }>('GET', '/staff/threads').then((r) => { staffUnread.value = r.unread; }, () => undefined);
}

export function StaffNavLink({ current }: { current: boolean }) {
  useEffect(() => {
    refresh();
    const id = setInterval(refresh, EVERY_MS);
    addEventListener('visibilitychange', refresh);
    return () => { clearInterval(id); removeEventListener('visibilitychange', refresh); };
  }, []);
  const n = staffUnread.value ?? 0;
  return (
    <a href="#/staff" aria-current={current ? 'page' : undefined}>
      {t('nav.staff')}{n > 0 && <span class="badge nav-badge" aria-label={`(${n})`}>{n}</span>}
    </a>
  );
}
