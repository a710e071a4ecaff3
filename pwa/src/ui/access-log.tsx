// 閲覧履歴: who viewed or changed this patient, newest first, from the audit log
// (GET /patients/{id}/access-log, paged with before = next). Only those who manage
// the patient (and the network office) may read it; the server decides and
// answers 403/404 to others. Read online only. Loaded lazily (ui/lazy.tsx).

import { useEffect, useState } from 'preact/hooks';
import type { components } from '../api-types';
import { errorMessage, getLang, t } from '../i18n';
import { ct } from '../i18n/care';
import { api, describeError, getPatient, status } from '../state';
import { actionLabel, professionLabel, resultLabel } from '../team';
import { useData } from './hooks';
import './team.css';

type Entry = components['schemas']['AccessLogEntry'];
type Page = components['schemas']['AccessLogOutputBody'];

const PAGE = 100;

/** 2026/12/04 18:05:09 in Tokyo (the log is read to the second). */
const formatAt = (at: string) =>
  new Intl.DateTimeFormat(getLang() === 'ja' ? 'ja-JP' : 'en-GB', { timeZone: 'Asia/Tokyo', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' })
    .format(new Date(at));

export default function AccessLog({ id }: { id: string }) {
  const patient = useData(() => getPatient(id).then((p) => p ?? null), [id]);
  const [entries, setEntries] = useState<Entry[]>([]);
  const [next, setNext] = useState<number | undefined>(undefined);
  const [loaded, setLoaded] = useState(false);
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState('');
  const isOnline = status.value?.online ?? navigator.onLine;

  const load = async (before?: number) => {
    setBusy(true);
    setErr('');
    try {
      const r = await api.request<Page>('GET', `/patients/${encodeURIComponent(id)}/access-log`, { query: { limit: PAGE, before } });
      setEntries((es) => (before ? [...es, ...(r.events ?? [])] : r.events ?? []));
      setNext(r.next || undefined);
      setLoaded(true);
    } catch (e) {
      setErr(errorMessage(describeError(e)));
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => {
    if (isOnline && !loaded) void load();
  }, [id, isOnline]);

  const back = `#/patients/${encodeURIComponent(id)}/team`;
  return (
    <section class="access-log" aria-labelledby="accesslog-h">
      <p><a href={back}>{ct('accesslog.back')}</a></p>
      <h1 id="accesslog-h">{ct('accesslog.title')}{patient && <small class="muted"> — {patient.name}</small>}</h1>
      <p class="muted">{ct('accesslog.lead')}</p>
      {!isOnline && !loaded && <p class="notice" role="note">{ct('accesslog.offline')}</p>}
      {err && <p class="error" role="alert">{err}</p>}
      {busy && !loaded && <p class="empty">{t('app.loading')}</p>}
      {loaded && entries.length === 0 && <p class="empty">{ct('accesslog.none')}</p>}
      {entries.length > 0 && (
        <div class="table-scroll">
          <table class="log">
            <caption class="sr">{ct('accesslog.caption')}</caption>
            <thead>
              <tr>
                <th scope="col">{ct('accesslog.col.at')}</th>
                <th scope="col">{ct('accesslog.col.user')}</th>
                <th scope="col">{ct('accesslog.col.profession')}</th>
                <th scope="col">{ct('accesslog.col.facility')}</th>
                <th scope="col">{ct('accesslog.col.action')}</th>
                <th scope="col">{ct('accesslog.col.result')}</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e) => (
                <tr key={e.seq} class={`res-${e.result}`}>
                  <td class="time"><time dateTime={e.at}>{formatAt(e.at)}</time></td>
                  <th scope="row">{e.actor_name || ct('accesslog.unknown_user')}</th>
                  <td>{e.actor_profession ? professionLabel(e.actor_profession) : '—'}</td>
                  <td>{e.actor_facility_name || (e.actor_id && !e.actor_facility_id ? ct('accesslog.network_office') : '—')}</td>
                  <td>{actionLabel(e.action)}</td>
                  <td>{e.result === 'ok' ? resultLabel(e.result) : <strong class={`badge-st ${e.result === 'denied' ? 'revoked' : 'suspended'}`}>{resultLabel(e.result)}</strong>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {next !== undefined && (
        <button disabled={busy || !isOnline} onClick={() => load(next)}>{busy ? t('app.loading') : ct('accesslog.more')}</button>
      )}
    </section>
  );
}
