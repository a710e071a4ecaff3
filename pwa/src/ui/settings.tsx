import { useState } from 'preact/hooks';
import { errorMessage, formatDateTime, formatTime, t, type Lang, type MessageKey } from '../i18n';
import { enableNotifications, pushSupported } from '../push';
import { api, deviceCounts, dismissProblem, lang, lock, me, signOut, status, switchLang, syncNow, wipe } from '../state';
import { useData } from './hooks';

export function Settings() {
  const counts = useData(deviceCounts);
  const storage = useData(() => navigator.storage?.estimate?.() ?? Promise.resolve(undefined));
  const [perm, setPerm] = useState<NotificationPermission | 'unsupported'>(pushSupported() ? Notification.permission : 'unsupported');
  const waiting = counts?.waiting ?? 0;
  return (
    <section aria-labelledby="settings-h">
      <h1 id="settings-h">{t('settings.title')}</h1>

      <h2>{t('settings.account')}</h2>
      <p>{me.value?.name} ({me.value?.login_id})</p>

      <h2>{t('settings.language')}</h2>
      <div class="row" role="radiogroup" aria-label={t('settings.language')}>
        {(['ja', 'en'] as Lang[]).map((l) => (
          <button key={l} role="radio" aria-checked={lang.value === l} onClick={() => void switchLang(l)}>{l === 'ja' ? '日本語' : 'English'}</button>
        ))}
      </div>

      <h2>{t('settings.notifications')}</h2>
      <p>{t('settings.notifications_hint')}</p>
      {perm === 'granted' ? <p>{t('settings.notifications_on')}</p>
        : perm === 'denied' ? <p class="notice">{t('settings.notifications_denied')}</p>
        : perm === 'unsupported' ? <p class="notice">{t('settings.notifications_unsupported')}</p>
        : <button class="primary" onClick={async () => setPerm(await enableNotifications(api))}>{t('settings.notifications_enable')}</button>}
      <p><a class="button" href="#/settings/notifications">{t('settings.notify_more')}</a></p>

      <SyncProblems />

      <h2>{t('settings.device')}</h2>
      <p>{t('settings.device_hint')}</p>
      {counts && <p>{t('settings.device_counts', counts)}</p>}
      {storage?.usage !== undefined && <p>{t('settings.storage', { used: `${(storage.usage / 1048576).toFixed(1)} MB` })}</p>}
      <div class="row wrap">
        <button onClick={lock}>{t('settings.lock')}</button>
        <a class="button" href="#/install">{t('settings.install')}</a>
        <button class="danger" onClick={() => confirm(t('settings.wipe_confirm', { n: waiting })) && wipe()}>{t('settings.wipe')}</button>
        <button class="danger" onClick={() => confirm(t('settings.signout_confirm', { n: waiting })) && signOut()}>{t('settings.signout')}</button>
      </div>
    </section>
  );
}

function SyncProblems() {
  const s = status.value;
  return (
    <>
      <h2>{t('sync.now')}</h2>
      <p>{s?.lastSyncAt ? t('sync.last', { time: formatDateTime(new Date(s.lastSyncAt)) }) : t('sync.never')}</p>
      <button onClick={syncNow} disabled={s?.syncing}>{s?.syncing ? t('sync.syncing') : t('sync.now')}</button>
      {!!s?.failed.length && (
        <>
          <h3>{t('sync.failed', { n: s.failed.length })}</h3>
          <ul class="list">
            {s.failed.map((f) => (
              <li key={f.id} class="row">
                <span class="grow"><strong>{t(`sync.what.${f.type}` as MessageKey)}</strong> {errorMessage(f.code)}{f.detail && <small>{f.detail}</small>}</span>
                <button onClick={() => dismissProblem(f.id)}>{t('sync.dismiss')}</button>
              </li>
            ))}
          </ul>
        </>
      )}
      {!!s?.conflicts && (
        <>
          <h3>{t('sync.conflicts', { n: s.conflicts })}</h3>
          <p>{t('sync.conflict_hint')}</p>
          <a class="button primary" href="#/conflicts">{t('conflict.open')}</a>
        </>
      )}
    </>
  );
}

export function Install() {
  return (
    <section aria-labelledby="install-h" class="card narrow">
      <h1 id="install-h">{t('install.title')}</h1>
      <p>{t('install.intro')}</p>
      <ol class="steps">
        {(['install.step1', 'install.step2', 'install.step3', 'install.step4'] as MessageKey[]).map((k) => <li key={k}>{t(k)}</li>)}
      </ol>
    </section>
  );
}
