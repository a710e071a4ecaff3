import { useState } from 'preact/hooks';
import type { SinceLast } from '../changes';
import { formatDate, formatDateTime, formatEraDate, formatTime, t, toHiragana, age, type MessageKey } from '../i18n';
import { matchesKana } from '../search';
import { changesBefore, listAwaiting, listPatients, listTeam, listVisits, me, setVisitStatus, status, today as todaySignal, unread, unreadMessages } from '../state';
import { abnormal } from '../vitals';
import { sharedNames } from '../identity';
import { PatientIdentity } from './identity';
import { editHref, spanLabel, timesOn } from './visit-row';
import { useData } from './hooks';

export function Today() {
  const myId = me.value?.id ?? '';
  const today = todaySignal.value;
  const data = useData(async () => {
    const [visits, patients] = await Promise.all([listVisits(today, today), listPatients()]);
    const byId = new Map(patients.map((p) => [p.id, p]));
    const mine = visits.filter((v) => v.assignee_ids?.includes(myId) && v.status !== 'cancelled');
    const shared = sharedNames(patients);
    return Promise.all(mine.map(async (v) => {
      const team = await listTeam(v.patient_id);
      return { v, p: byId.get(v.patient_id), same: shared.has(v.patient_id), since: await changesBefore(v), who: new Map(team.map((m) => [m.user_id, m.name])) };
    }));
  }, [myId, today]);
  const conflicts = status.value?.conflicts ?? 0;
  return (
    <section aria-labelledby="today-h">
      <div class="row">
        <h1 id="today-h" class="grow">{t('today.title')}</h1>
        <MentionsLink />
      </div>
      {conflicts > 0 && <p class="notice"><a href="#/conflicts">{t('conflict.banner', { n: conflicts })}</a></p>}
      <Awaiting />
      {data && data.length === 0 && <p class="empty">{t('today.none')}</p>}
      <ul class="list">
        {data?.map(({ v, p, same, since, who }) => (
          <li key={`${v.id}/${v.occurrence_start ?? ''}`} class="visit">
            <div class="row">
              <a class="grow" href={`#/patients/${v.patient_id}`}>
                <strong class="time">{timesOn(v, today)}</strong>
                <PatientIdentity patient={p} sameName={same} compact />
                <small>{t(`visit.${v.kind}` as MessageKey)} · {t(`visit.status.${v.status}` as MessageKey)}{spanLabel(v) && ` · ${spanLabel(v)}`}</small>
              </a>
              <a class="button" href={editHref(v)} aria-label={t('today.edit_visit', { name: p?.name ?? '' })}>{t('today.edit')}</a>
              {v.status === 'planned' && <a class="button" href={`#/patients/${v.patient_id}/new/${v.id}/${encodeURIComponent(v.occurrence_start ?? '')}`} aria-label={t('today.write_label', { name: p?.name ?? '' })}>{t('today.write')}</a>}
              {v.status === 'planned' && <button class="done" onClick={() => setVisitStatus(v, 'done')} aria-label={t('today.done_label', { name: p?.name ?? '' })}>{t('today.done')}</button>}
              {/* Undo a 完了 tapped by mistake: back to planned, offline through the outbox like the tap itself. */}
              {v.status === 'done' && <button class="undo" onClick={() => setVisitStatus(v, 'planned')} aria-label={t('today.undo_label', { name: p?.name ?? '' })}>{t('today.undo')}</button>}
            </div>
            <SinceLastVisit since={since} who={who} />
          </li>
        ))}
      </ul>
    </section>
  );
}

/**
 * Records entered for me by someone else (代行入力) or amended by another clinician,
 * which wait for my confirmation (確定待ち). Each opens the record, to read it
 * before confirming.
 */
function Awaiting() {
  const myId = me.value?.id ?? '';
  const data = useData(async () => {
    const recs = await listAwaiting();
    if (recs.length === 0) return [];
    const patients = new Map((await listPatients()).map((p) => [p.id, p.name]));
    const teams = await Promise.all([...new Set(recs.map((r) => r.patient_id))].map((id) => listTeam(id)));
    const who = new Map(teams.flat().map((m) => [m.user_id, m.name]));
    return recs.map((r) => ({ r, patient: patients.get(r.patient_id) ?? '—', by: who.get(r.entered_by) ?? t('conflict.someone') }));
  }, [myId]);
  if (!data?.length) return null;
  return (
    <section class="awaiting" aria-labelledby="awaiting-h">
      <h2 id="awaiting-h">{t('confirm.awaiting_title', { n: data.length })}</h2>
      <p class="muted">{t('confirm.awaiting_hint')}</p>
      <ul class="list">
        {data.map(({ r, patient, by }) => (
          <li key={r.id}>
            <a class="row" href={`#/patients/${r.patient_id}/records/${r.id}`}>
              <span class="grow">
                <strong>{patient}</strong>
                <small>{t(`kind.${r.kind}` as MessageKey)} · <time dateTime={r.occurred_at}>{formatDateTime(r.occurred_at)}</time> · {t('confirm.entered_by', { name: by })}</small>
              </span>
              <span class="tag warn">{t('confirm.awaiting')}</span>
            </a>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** "What changed since my last visit" under a visit of today. */
function SinceLastVisit({ since, who }: { since: SinceLast; who: Map<string, string> }) {
  const from = since.basis === 'window' ? t('since.window', { n: 14 }) : t(since.basis === 'visit' ? 'since.visit' : 'since.record', { date: formatDate(since.since) });
  const n = since.records.length + since.visits.length;
  if (n === 0) return <p class="since muted">{t('since.nothing', { from })}</p>;
  const flagged = since.records.filter((r) => abnormal(r.vitals).length > 0).length;
  const name = (id: string) => who.get(id) ?? t('conflict.someone');
  return (
    <details class="since">
      <summary>
        {t('since.summary', { from, r: since.records.length, v: since.visits.length })}
        {flagged > 0 && <span class="tag warn">{t('since.abnormal', { n: flagged })}</span>}
      </summary>
      <ul>
        {since.records.map((r) => (
          <li key={r.id}>
            <a href={`#/patients/${r.patient_id}`}>{t(`kind.${r.kind}` as MessageKey)}</a> · {name(r.author_id)} · <time dateTime={r.occurred_at}>{formatDateTime(r.occurred_at)}</time>
            {r.version && r.version > 1 && <span class="tag">{t('patient.amended', { n: r.version })}</span>}
            {abnormal(r.vitals).length > 0 && <span class="tag warn">{t('patient.abnormal')}</span>}
            {r.text && <small class="text">{r.text.length > 80 ? `${r.text.slice(0, 80)}…` : r.text}</small>}
          </li>
        ))}
        {since.visits.map((c) => {
          const v = c.occurrence ?? c.visit;
          return (
            <li key={`${c.visit.id}/${c.at}`}>
              {t('since.visit_changed', { kind: t(`visit.${v.kind}` as MessageKey), who: name(c.by), when: formatDateTime(c.at) })}
              <small>{c.visit.recurrence && !c.occurrence ? t('since.series', { date: formatDateTime(v.starts_at) }) : `${formatDateTime(v.starts_at)}–${formatTime(v.ends_at)} · ${t(`visit.status.${v.status}` as MessageKey)}`}</small>
            </li>
          );
        })}
      </ul>
    </details>
  );
}

export function Patients() {
  const [q, setQ] = useState('');
  const patients = useData(() => listPatients().then((ps) => ps.sort((a, b) => toHiragana(a.name_kana ?? '').localeCompare(toHiragana(b.name_kana ?? ''), 'ja'))));
  const shown = patients?.filter((p) => matchesKana(p, q));
  const counts = unread.value;
  const chan = unreadMessages.value;
  return (
    <section aria-labelledby="patients-h">
      <div class="row">
        <h1 id="patients-h" class="grow">{t('patients.title')}</h1>
        <a class="button" href="#/search">{t('patients.search_records')}</a>
        {me.value?.facility_id && <a class="button primary" href="#/patients/register">{t('onboard.register')}</a>}
      </div>
      <input type="search" class="search" aria-label={t('patients.search')} placeholder={t('patients.search')} value={q} onInput={(e) => setQ(e.currentTarget.value)} />
      {shown && shown.length === 0 && <p class="empty">{t('patients.none')}</p>}
      <ul class="list">
        {shown?.map((p) => (
          <li key={p.id}>
            <a class="row" href={`#/patients/${p.id}`}>
              <span class="grow">
                <ruby>{p.name}<rt>{p.name_kana}</rt></ruby>
                <small>{p.birth_date && `${formatEraDate(p.birth_date)} · ${t('patient.age', { n: age(p.birth_date) })}`}</small>
              </span>
              {counts[p.id] ? <span class="badge" aria-label={t('patients.unread', { n: counts[p.id]! })}>{counts[p.id]}</span> : null}
              {chan[p.id]?.messages ? (
                <span class={chan[p.id]!.mentions ? 'badge chan mention' : 'badge chan'} aria-label={chan[p.id]!.mentions ? t('patients.unread_messages', { n: chan[p.id]!.messages, m: chan[p.id]!.mentions }) : t('patients.unread_messages_plain', { n: chan[p.id]!.messages })}>
                  {t('patient.messages')} {chan[p.id]!.messages}{chan[p.id]!.mentions ? ` @${chan[p.id]!.mentions}` : ''}
                </span>
              ) : null}
            </a>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** The way to the messages mentioning me across my patients (#/mentions), with how many I have not read. */
function MentionsLink() {
  const n = Object.values(unreadMessages.value).reduce((a, c) => a + c.mentions, 0);
  return (
    <a class="button mentions-link" href="#/mentions">
      {t('today.mentions')}
      {n > 0 && <span class="badge mention" aria-label={t('today.mentions_unread', { n })}>{n}</span>}
    </a>
  );
}
