// 通知の設定: per kind of news push / e-mail / both / none, quiet hours (Japan
// time) during which only urgent messages and mentions get through, hourly
// gathering of e-mail, and the e-mail address with its confirmation link
// (#/settings/notifications?confirm=<token> confirms it when opened signed in).
// Online only: the preferences live on the server. Loaded lazily (ui/lazy.tsx).

import { Fragment } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { errorMessage } from '../i18n';
import { nt, type NotifyKey } from '../i18n/notify';
import type { Channel, EmailState, NotifyPreferences, NotifyPreferencesOut } from '../schemas';
import { api, describeError } from '../state';
import './notify-settings.css';

const KINDS = ['record', 'visit', 'alert', 'message', 'mention', 'urgent'] as const;
const CHANNELS: Channel[] = ['push', 'email', 'both', 'none'];

/** The confirmation token in the hash, if the page was opened from the link. */
function tokenInHash(): string | undefined {
  const q = location.hash.split('?')[1];
  return q ? new URLSearchParams(q).get('confirm') ?? undefined : undefined;
}

export default function NotifySettings() {
  const [prefs, setPrefs] = useState<NotifyPreferences | null>(null);
  const [email, setEmail] = useState<EmailState | null>(null);
  const [available, setAvailable] = useState(false);
  const [address, setAddress] = useState('');
  const [msg, setMsg] = useState('');
  const [err, setErr] = useState('');
  const [busy, setBusy] = useState(false);

  const fail = (e: unknown) => {
    const code = describeError(e);
    setErr(code === 'network' ? nt('notify.offline') : errorMessage(code));
  };
  const load = (r: NotifyPreferencesOut) => {
    setPrefs({ kinds: r.kinds, quiet_hours: r.quiet_hours, email_hourly: r.email_hourly });
    setEmail(r.email);
    setAvailable(r.mail_available);
  };

  useEffect(() => {
    (async () => {
      const token = tokenInHash();
      if (token) {
        try {
          await api.request('POST', '/me/email/confirm', { body: { token } });
          setMsg(nt('notify.email_confirmed'));
        } catch (e) {
          fail(e);
        }
        history.replaceState(null, '', '#/settings/notifications'); // the token is used up: keep it out of the history
      }
      try {
        load(await api.request<NotifyPreferencesOut>('GET', '/me/notification-preferences'));
      } catch (e) {
        fail(e);
      }
    })();
  }, []);

  const run = async (what: () => Promise<void>) => {
    setBusy(true);
    setErr('');
    setMsg('');
    try {
      await what();
    } catch (e) {
      fail(e);
    } finally {
      setBusy(false);
    }
  };

  if (!prefs) {
    return (
      <section aria-labelledby="notify-h">
        <h1 id="notify-h">{nt('notify.title')}</h1>
        {err ? <p class="error" role="alert">{err}</p> : <p class="empty" role="status">…</p>}
        <a class="button" href="#/settings">{nt('notify.back')}</a>
      </section>
    );
  }
  const q = prefs.quiet_hours;
  const set = (p: Partial<NotifyPreferences>) => setPrefs({ ...prefs, ...p });
  const save = () => q.enabled && q.start === q.end ? setErr(nt('notify.quiet_same')) : run(async () => {
    load(await api.request<NotifyPreferencesOut>('PUT', '/me/notification-preferences', { body: prefs }));
    setMsg(nt('notify.saved'));
  });

  return (
    <section aria-labelledby="notify-h">
      <h1 id="notify-h">{nt('notify.title')}</h1>
      <p><a href="#/settings">{nt('notify.back')}</a></p>
      {msg && <p class="notice" role="status">{msg}</p>}
      {err && <p class="error" role="alert">{err}</p>}

      <h2>{nt('notify.email')}</h2>
      <div class="notify-email">
        {!available ? <p class="notice">{nt('notify.email_unavailable')}</p> : (
          <>
            <p>{nt('notify.email_hint')}</p>
            <p>{email?.address ? nt(email.verified ? 'notify.email_verified' : 'notify.email_pending', { address: email.address }) : nt('notify.email_none')}</p>
            <form class="row wrap" onSubmit={(e) => {
              e.preventDefault();
              run(async () => {
                const r = await api.request<EmailState>('PUT', '/me/email', { body: { address: address.trim() } });
                setEmail(r);
                setAddress('');
                setMsg(r.verified ? nt('notify.email_confirmed') : nt('notify.email_sent'));
              });
            }}>
              <label class="grow">{nt('notify.email_address')}
                <input type="email" required autocomplete="email" maxLength={254} value={address} onInput={(e) => setAddress(e.currentTarget.value)} />
              </label>
              <button class="primary" type="submit" disabled={busy}>{nt('notify.email_register')}</button>
              {email?.address && (
                <button class="danger" type="button" disabled={busy} onClick={() => run(async () => {
                  await api.request('DELETE', '/me/email');
                  setEmail({ verified: false });
                  setMsg(nt('notify.email_deleted'));
                })}>{nt('notify.email_delete')}</button>
              )}
            </form>
          </>
        )}
      </div>

      <h2>{nt('notify.kinds')}</h2>
      <p>{nt('notify.kinds_hint')}</p>
      <div class="notify-kinds">
        {KINDS.map((k) => (
          <Fragment key={k}>
            <label for={`notify-${k}`}>{nt(`notify.kind.${k}` as NotifyKey)}</label>
            <select id={`notify-${k}`} value={prefs.kinds[k]}
              onChange={(e) => set({ kinds: { ...prefs.kinds, [k]: e.currentTarget.value as Channel } })}>
              {CHANNELS.map((c) => <option key={c} value={c}>{nt(`notify.ch.${c}` as NotifyKey)}</option>)}
            </select>
          </Fragment>
        ))}
      </div>
      <label class="notify-check">
        <input type="checkbox" checked={prefs.email_hourly} onChange={(e) => set({ email_hourly: e.currentTarget.checked })} />
        {nt('notify.hourly')}
      </label>

      <h2>{nt('notify.quiet')}</h2>
      <p>{nt('notify.quiet_hint')}</p>
      <label class="notify-check">
        <input type="checkbox" checked={q.enabled} onChange={(e) => set({ quiet_hours: { ...q, enabled: e.currentTarget.checked } })} />
        {nt('notify.quiet_on')}
      </label>
      <div class="notify-times">
        <label>{nt('notify.quiet_start')}
          <input type="time" required value={q.start} disabled={!q.enabled} onInput={(e) => set({ quiet_hours: { ...q, start: e.currentTarget.value } })} />
        </label>
        <label>{nt('notify.quiet_end')}
          <input type="time" required value={q.end} disabled={!q.enabled} onInput={(e) => set({ quiet_hours: { ...q, end: e.currentTarget.value } })} />
        </label>
      </div>
      <p><button class="primary" onClick={save} disabled={busy}>{nt('notify.save')}</button></p>
    </section>
  );
}
