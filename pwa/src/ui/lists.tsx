import { useState } from 'preact/hooks';
import type { VisitDetail } from '../schemas';
import { formatEraDate, formatTime, t, toHiragana, tokyoDay, age, type MessageKey } from '../i18n';
import { matchesKana } from '../search';
import { listPatients, listVisits, me, setVisitStatus, unread } from '../state';
import { useData } from './hooks';

export function Today() {
  const myId = me.value?.id ?? '';
  const today = tokyoDay();
  const data = useData(async () => {
    const [visits, patients] = await Promise.all([listVisits(today, today), listPatients()]);
    const byId = new Map(patients.map((p) => [p.id, p]));
    const mine = visits.filter((v) => v.assignee_ids?.includes(myId) && v.status !== 'cancelled');
    return mine.map((v) => ({ v, p: byId.get(v.patient_id) }));
  }, [myId, today]);
  return (
    <section aria-labelledby="today-h">
      <h1 id="today-h">{t('today.title')}</h1>
      {data && data.length === 0 && <p class="empty">{t('today.none')}</p>}
      <ul class="list">
        {data?.map(({ v, p }) => (
          <li key={`${v.id}/${v.occurrence_start ?? ''}`} class="row">
            <a class="grow" href={`#/patients/${v.patient_id}`}>
              <strong class="time">{formatTime(v.starts_at)}–{formatTime(v.ends_at)}</strong>
              <span>{p?.name ?? '—'}</span>
              <small>{t(`visit.${v.kind}` as MessageKey)} · {t(`visit.status.${v.status}` as MessageKey)}</small>
            </a>
            {v.status === 'planned' && <button onClick={() => setVisitStatus(v, 'done')}>{t('today.done')}</button>}
          </li>
        ))}
      </ul>
    </section>
  );
}

export function Patients() {
  const [q, setQ] = useState('');
  const patients = useData(() => listPatients().then((ps) => ps.sort((a, b) => toHiragana(a.name_kana ?? '').localeCompare(toHiragana(b.name_kana ?? ''), 'ja'))));
  const shown = patients?.filter((p) => matchesKana(p, q));
  const counts = unread.value;
  return (
    <section aria-labelledby="patients-h">
      <h1 id="patients-h">{t('patients.title')}</h1>
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
            </a>
          </li>
        ))}
      </ul>
    </section>
  );
}

export function visitLabel(v: VisitDetail): string {
  return `${t(`visit.${v.kind}` as MessageKey)} · ${t(`visit.status.${v.status}` as MessageKey)}`;
}
