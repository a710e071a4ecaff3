// The 在宅医療情報連携加算 report of one patient's month: which of the items the
// 2024 fee schedule asks of the doctor were recorded in the shared ICT that month,
// by whom and when, each linking to its record; month by month. The server works
// it out from what the caller reads (GET /patients/{id}/collaboration-report), so
// it needs the network. Loaded lazily (ui/lazy.tsx).

import { useEffect, useState } from 'preact/hooks';
import { errorMessage, formatDate, formatDateTime, formatMonth, type MessageKey, t, tokyoDay } from '../i18n';
import { dt, type DigestKey } from '../i18n/digest';
import type { CollabReport, CollabItem } from '../schemas';
import { api, describeError, getPatient, status } from '../state';
import { monthOf, shiftMonth, validMonth } from '../digest';
import { useData } from './hooks';
import './digest.css';

const prof = (p: string) => t(`profession.${p}` as MessageKey);

export default function CollabReportView({ id, month }: { id: string; month?: string }) {
  const m = validMonth(month) ? month : monthOf(tokyoDay());
  const patient = useData(() => getPatient(id).then((p) => p ?? null), [id]);
  const [rep, setRep] = useState<CollabReport | null | undefined>(undefined);
  const [err, setErr] = useState('');
  const online = status.value?.online ?? navigator.onLine;

  useEffect(() => {
    let live = true;
    setRep(undefined);
    setErr('');
    api.request<CollabReport>('GET', `/patients/${encodeURIComponent(id)}/collaboration-report`, { query: { month: m } }).then(
      (r) => live && setRep(r),
      (e) => {
        if (!live) return;
        setRep(null);
        setErr(describeError(e));
      },
    );
    return () => {
      live = false;
    };
  }, [id, m, online]);

  const base = `#/patients/${encodeURIComponent(id)}/collab`;
  const label = formatMonth(`${m}-01`);
  return (
    <section class="collab" aria-labelledby="collab-h">
      <p><a href={`#/patients/${encodeURIComponent(id)}`}>{patient ? <>← {patient.name}</> : `← ${t('nav.patients')}`}</a></p>
      <h1 id="collab-h">{dt('collab.title')}</h1>
      <nav class="cal-nav row" aria-label={dt('collab.title')}>
        <a class="button" href={`${base}/${shiftMonth(m, -1)}`} aria-label={dt('collab.prev')}>‹ {dt('collab.prev')}</a>
        <strong class="grow month" aria-live="polite">{label}</strong>
        <a class="button" href={`${base}/${shiftMonth(m, 1)}`} aria-label={dt('collab.next')}>{dt('collab.next')} ›</a>
      </nav>
      <p class="muted">{dt('collab.hint')}</p>
      {rep === undefined && <p class="empty">{t('app.loading')}</p>}
      {rep === null && (err === 'network' ? <p class="notice" role="status">{dt('collab.offline')}</p> : <p class="error" role="alert">{errorMessage(err)}</p>)}
      {rep && (
        <>
          <p class={rep.complete ? 'done-msg' : 'notice'} role="status">{dt(rep.complete ? 'collab.complete' : 'collab.incomplete')}</p>
          {rep.chart_hidden && <p class="notice">{dt('collab.chart_hidden')}</p>}
          {(rep.items ?? []).map((it) => <Item key={it.key} id={id} it={it} />)}
        </>
      )}
    </section>
  );
}

function Item({ id, it }: { id: string; it: CollabItem }) {
  const hid = `collab-${it.key}`;
  const entries = it.entries ?? [];
  const state = !it.applicable ? 'collab.not_applicable' : it.met ? 'collab.met' : 'collab.missing';
  return (
    <article class={`collab-item card ${it.met ? 'met' : 'missing'}`} aria-labelledby={hid}>
      <div class="row">
        <h2 id={hid} class="grow">{dt(`collab.item.${it.key}` as DigestKey)}</h2>
        <span class={`tag ${it.met ? 'ok' : 'warn'}`}>{dt(state)}</span>
      </div>
      {entries.length === 0 ? (
        <p class="muted">{dt('collab.none')}</p>
      ) : (
        <ul class="list">
          {entries.map((e) => (
            <li key={`${e.record_id}/${e.reader_id ?? ''}/${e.read_at ?? ''}`}>
              <a class="row" href={`#/patients/${encodeURIComponent(id)}/records/${encodeURIComponent(e.record_id)}`}>
                <span class="grow">
                  {e.value && <span class="text">{valueText(it.key, e.value)}</span>}
                  <small>
                    {t(`kind.${e.kind}` as MessageKey)} · {dt('digest.by', { name: e.author_name, prof: prof(e.author_profession) })}
                    {' · '}<time dateTime={e.occurred_at}>{formatDateTime(e.occurred_at)}</time>
                    {e.recorded_at && <> · {dt('collab.recorded', { time: formatDateTime(e.recorded_at) })}</>}
                    {e.reader_name && e.read_at && <> · {dt('collab.read_by', { reader: e.reader_name, time: formatDateTime(e.read_at) })}</>}
                  </small>
                </span>
              </a>
            </li>
          ))}
        </ul>
      )}
    </article>
  );
}

function valueText(key: string, v: string): string {
  if (key === 'plan_change') return dt(v === 'changed' ? 'collab.changed' : 'collab.unchanged');
  if (key === 'next_visit') return formatDate(v);
  return v;
}
