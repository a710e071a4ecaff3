import { useEffect, useState } from 'preact/hooks';
import { errorMessage, formatTime, t } from '../i18n';
import { lang, leaving, me, phase, status, toSignIn } from '../state';
import { AdminRoute, isOffice, showsAdmin } from './admin-entry';
import { Patients, Today } from './lists';
import type { Tab } from './patient';
import { Pin, SignIn } from './signin';
import { lazy } from './lazy';
import { isStandalone } from './standalone';
import { StaffNavLink } from './inbox-badge';

// Screens not every user opens load on first use (the nurse's first load stays small).
const RegisterPatient = lazy(() => import('./onboard').then((m) => m.RegisterPatient));
const NewConsent = lazy(() => import('./onboard').then((m) => m.NewConsent));
const AccessLog = lazy(() => import('./access-log').then((m) => m.default));
// Not on the first screen (Today, the patient list): each loads when first opened
// (the service worker precaches them, so they open offline too).
const PatientView = lazy(() => import('./patient').then((m) => ({ id, tab, focus }: { id: string; tab?: string; focus?: string }) => (
  <m.PatientView id={id} tab={m.TABS.includes(tab as Tab) ? (tab as Tab) : 'timeline'} focus={focus} />
)));
const NewRecord = lazy(() => import('./forms').then((m) => m.NewRecord));
const RecordView = lazy(() => import('./record-view').then((m) => m.RecordView));
const Summary = lazy(() => import('./summary').then((m) => m.Summary));
const Conflicts = lazy(() => import('./conflicts').then((m) => m.Conflicts));
const Settings = lazy(() => import('./settings').then((m) => m.Settings));
const Install = lazy(() => import('./settings').then((m) => m.Install));
const MyWeek = lazy(() => import('./calendar').then((m) => m.MyWeek));
const VisitEditor = lazy(() => import('./visit-editor').then((m) => m.VisitEditor));
const Scanner = lazy(() => import('../scan/screen').then((m) => m.Scanner));
const NotifySettings = lazy(() => import('./notify-settings').then((m) => m.default));
const DigestHome = lazy(() => import('./digest').then((m) => m.default)); // D: the doctor's home above Today
const CollabReport = lazy(() => import('./collab-report').then((m) => m.default));
const SearchScreen = lazy(() => import('./search').then((m) => m.SearchScreen)); // C: record search
const Mentions = lazy(() => import('./channel-mentions').then((m) => m.default)); // the team channel: messages to me
const Inbox = lazy(() => import('./inbox').then((m) => m.default)); // staff messages (スタッフ連絡)
const CareplanImport = lazy(() => import('./careplan').then((m) => m.CareplanImport)); // care-plan data (第6表) import and 実績 export

function useHash(): string {
  const [h, setH] = useState(location.hash);
  useEffect(() => {
    const f = (e: HashChangeEvent) => {
      // Unsaved input (the record form) may keep the user: the address goes back, nothing re-renders.
      if (leaving.guard && !leaving.guard(e.newURL)) return history.replaceState(history.state, '', e.oldURL);
      setH(location.hash);
    };
    addEventListener('hashchange', f);
    return () => removeEventListener('hashchange', f);
  }, []);
  return h;
}

function route(hash: string) {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  const [a, b, c, d, e] = parts;
  // The network office has no patients nor visits: its home is the console.
  if ((!a || a === 'today') && isOffice(me.value)) return <AdminRoute path={[]} />;
  if (a === 'patients' && b === 'register') return <RegisterPatient />;
  if (a === 'patients' && b && c === 'consent' && d === 'new') return <NewConsent patientId={b} key={b} />;
  if (a === 'patients' && b && c === 'scan') return <Scanner patientId={b} key={`scan/${b}`} />;
  if (a === 'patients' && b && c === 'message-record' && d) return <NewRecord patientId={b} sourceMessageId={d} key={`from/${d}`} />; // 「記録にする」
  if (a === 'patients' && b && c === 'new') return <NewRecord patientId={b} visitId={d} occurrence={e} key={`new/${b}/${d ?? ''}`} />;
  if (a === 'patients' && b && c === 'records' && d && e === 'amend') return <NewRecord patientId={b} recordId={d} key={d} />;
  if (a === 'patients' && b && c === 'records' && d) return <RecordView patientId={b} recordId={d} key={d} />;
  if (a === 'patients' && b && c === 'visits' && d === 'new') return <VisitEditor patientId={b} day={e} key={`new/${e}`} />;
  if (a === 'patients' && b && c === 'visits' && d) return <VisitEditor patientId={b} visitId={d} occurrence={e} key={`${d}/${e}`} />;
  if (a === 'patients' && b && c === 'summary') return <Summary patientId={b} key={`summary/${b}`} />;
  if (a === 'patients' && b && c === 'access-log') return <AccessLog id={b} key={`log/${b}`} />;
  if (a === 'patients' && b && c === 'collab') return <CollabReport id={b} month={d} key={`collab/${b}`} />;
  if (a === 'patients' && b) return <PatientView id={b} key={b} tab={c} focus={c === 'messages' ? d : undefined} />;
  if (a === 'patients') return <Patients />;
  if (a === 'search') return <SearchScreen />; // C: record search across my patients
  if (a === 'mentions') return <Mentions />; // the team channel: messages mentioning me
  if (a === 'staff') return <Inbox path={parts.slice(1)} key={parts.slice(1, 3).join('/')} />; // staff messages
  if (a === 'calendar') return <MyWeek />;
  if (a === 'careplan') return <CareplanImport month={b} key={`careplan/${b ?? ''}`} />; // care-plan data
  if (a === 'conflicts') return <Conflicts />;
  if (a === 'settings' && b?.startsWith('notifications')) return <NotifySettings key={b} />;
  if (a === 'settings') return <Settings />;
  if (a === 'install') return <Install />;
  if (a === 'admin') return <AdminRoute path={parts.slice(1)} />;
  if (!a || a === 'today') return me.value?.profession === 'doctor' || me.value?.profession === 'dentist' ? <><DigestHome /><Today /></> : <Today />;
  return <Today />;
}

function SyncBar() {
  const s = status.value;
  if (!s) return null;
  const parts: string[] = [s.online ? t('sync.online') : t('sync.offline')];
  if (s.syncing) parts.push(t('sync.syncing'));
  if (s.waiting) parts.push(t('sync.waiting', { n: s.waiting }));
  if (s.failed.length) parts.push(t('sync.failed', { n: s.failed.length }));
  if (s.lastSyncAt) parts.push(t('sync.last', { time: formatTime(new Date(s.lastSyncAt)) }));
  return (
    <div class={`syncbar ${s.online ? '' : 'off'}`} role="status" aria-live="polite">
      <a href="#/settings">{parts.join(' · ')}</a>
      {s.conflicts > 0 && <a class="conflicts" href="#/conflicts">{t('sync.conflicts', { n: s.conflicts })}</a>}
      {s.needsSignIn && <button class="link" onClick={toSignIn}>{t('sync.needs_signin')}</button>}
      {s.error && s.error !== 'network' && !s.needsSignIn && <span class="error">{errorMessage(s.error)}</span>}
    </div>
  );
}

export function App() {
  const hash = useHash();
  void lang.value; // re-render every screen when the language changes
  if (phase.value === 'boot') return <p class="empty">{t('app.loading')}</p>;
  if (phase.value === 'signin') return hash === '#/install' ? <Install /> : <Shell signedOut><SignIn /></Shell>;
  if (phase.value === 'pin') return <Shell signedOut><Pin /></Shell>;
  const office = isOffice(me.value);
  const tab = hash.split('/')[1] || (office ? 'admin' : 'today');
  return (
    <Shell>
      <SyncBar />
      <main id="main">{route(hash)}</main>
      <nav class="tabbar" aria-label={t('nav.main')}>
        {!office && <a href="#/today" aria-current={tab === 'today' ? 'page' : undefined}>{t('nav.today')}</a>}
        {!office && <a href="#/patients" aria-current={tab === 'patients' ? 'page' : undefined}>{t('nav.patients')}</a>}
        {!office && <a href="#/calendar" aria-current={tab === 'calendar' ? 'page' : undefined}>{t('nav.calendar')}</a>}
        <StaffNavLink current={tab === 'staff'} />
        {showsAdmin(me.value) && <a href="#/admin" aria-current={tab === 'admin' || (office && tab === 'today') ? 'page' : undefined}>{t('nav.admin')}</a>}
        <a href="#/settings" aria-current={tab === 'settings' ? 'page' : undefined}>{t('nav.settings')}</a>
      </nav>
    </Shell>
  );
}

function Shell({ children, signedOut }: { children: preact.ComponentChildren; signedOut?: boolean }) {
  return (
    <div class={signedOut ? 'shell out' : 'shell'}>
      {!isStandalone() && /iPad|iPhone|Macintosh/.test(navigator.userAgent) && (
        <p class="banner"><a href="#/install">{t('install.banner')}</a></p>
      )}
      {children}
    </div>
  );
}
