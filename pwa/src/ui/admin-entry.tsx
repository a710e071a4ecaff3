// The way into the office console (src/admin/): shown to network and facility
// admins only, and loaded with import() when opened, so the console stays out of
// the first load of every other user.

import { useEffect, useState } from 'preact/hooks';
import { errorMessage, t } from '../i18n';
import type { User } from '../schemas';

type Console = typeof import('../admin');
let loading: Promise<Console> | null = null;

export const showsAdmin = (u: User | null | undefined) => !!u?.roles?.some((r) => r === 'network_admin' || r === 'facility_admin');

/**
 * The network office (事務局): a network admin who works for no facility and no
 * profession. It sees no patient nor visit, so its home is the console, and the
 * clinician tabs (today, patients, calendar) are not shown to it.
 */
export const isOffice = (u: User | null | undefined) =>
  !!u?.roles?.includes('network_admin') && !u.facility_id && (!u.profession || u.profession === 'other');

export function AdminRoute({ path }: { path: string[] }) {
  const [mod, setMod] = useState<{ m: Console } | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    (loading ??= import('../admin')).then((m) => setMod({ m }), () => {
      loading = null; // let a later visit try again
      setFailed(true);
    });
  }, []);
  if (failed) return <p class="error" role="alert">{errorMessage('network')}</p>;
  if (!mod) return <p class="empty" role="status">{t('app.loading')}</p>;
  return <mod.m.Admin path={path} />;
}
