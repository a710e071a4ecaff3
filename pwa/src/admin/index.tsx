// The office console (管理): facilities, staff, the audit log and misuse alerts, for
// the network office (network_admin) and facility admins (their own facility). It
// is loaded with import() when opened, so none of it weighs on the nurse's first load.

import { addMessages } from '../i18n';
import { me } from '../state';
import { Alerts } from './alerts';
import { Audit } from './audit';
import { Facilities } from './facilities';
import { isNetworkAdmin, screensFor, type Screen } from './logic';
import { adminEn, adminJa } from './messages';
import { StaffScreen } from './staff';
import { at } from './ui';
import './admin.css';

addMessages({ ja: adminJa, en: adminEn });

/** `path` is the hash after #/admin, e.g. ['staff', '<facility id>']. */
export function Admin({ path }: { path: string[] }) {
  const screens = screensFor(me.value);
  if (screens.length === 0) return <p class="notice">{at('admin.not_admin')}</p>;
  const screen = screens.includes(path[0] as Screen) ? (path[0] as Screen) : screens[0]!;
  const role = isNetworkAdmin(me.value) ? 'network_admin' : 'facility_admin';
  return (
    <section class="admin" aria-labelledby="adm-h">
      <div class="row wrap">
        <h1 id="adm-h" class="grow">{at('admin.title')}</h1>
        <span class="muted">{at('admin.you_are', { role: at(`admin.role.${role}`) })}</span>
      </div>
      <nav class="tabs" aria-label={at('admin.nav')}>
        {screens.map((s) => (
          <a key={s} class="button" href={`#/admin/${s}`} aria-current={s === screen ? 'page' : undefined}>{at(`admin.tab.${s}`)}</a>
        ))}
      </nav>
      {screen === 'facilities' && <Facilities />}
      {screen === 'staff' && <StaffScreen facilityId={path[1]} key={path[1] ?? ''} />}
      {screen === 'audit' && <Audit />}
      {screen === 'alerts' && <Alerts />}
    </section>
  );
}
