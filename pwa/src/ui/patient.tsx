import { useEffect, useState } from 'preact/hooks';
import type { TeamMember } from '../schemas';
import { age, formatDate, formatDateTime, formatEraDate, formatTime, t, tokyoDay, type MessageKey } from '../i18n';
import { getPatient, listRecords, listTeam, listVisits, markRead, me, type LocalRecord } from '../state';
import { VITALS, abnormal } from '../vitals';
import { useData } from './hooks';
import { visitLabel } from './lists';

type Tab = 'timeline' | 'calendar' | 'team';

export function PatientView({ id }: { id: string }) {
  const [tab, setTab] = useState<Tab>('timeline');
  const p = useData(() => getPatient(id).then((x) => x ?? null), [id]);
  if (p === undefined) return <p class="empty">{t('app.loading')}</p>;
  if (p === null) return <p class="empty">{t('patient.not_found')}</p>;
  return (
    <section aria-labelledby="patient-h">
      <header class="patient-head">
        <div class="grow">
          <h1 id="patient-h"><ruby>{p.name}<rt>{p.name_kana}</rt></ruby></h1>
          {p.birth_date && <p>{formatEraDate(p.birth_date)} · {t('patient.age', { n: age(p.birth_date) })}</p>}
        </div>
        <a class="button primary" href={`#/patients/${id}/new`}>{t('patient.new_record')}</a>
      </header>
      <div role="tablist" class="tabs">
        {(['timeline', 'calendar', 'team'] as Tab[]).map((k) => (
          <button role="tab" aria-selected={tab === k} onClick={() => setTab(k)} key={k}>{t(`patient.${k}` as MessageKey)}</button>
        ))}
      </div>
      <div role="tabpanel">
        {tab === 'timeline' && <Timeline id={id} />}
        {tab === 'calendar' && <Calendar id={id} />}
        {tab === 'team' && <Team id={id} />}
      </div>
    </section>
  );
}

function Timeline({ id }: { id: string }) {
  const recs = useData(() => listRecords(id).then((rs) => rs.sort((a, b) => b.occurred_at.localeCompare(a.occurred_at))), [id]);
  const team = useData(() => listTeam(id), [id]);
  const names = new Map((team ?? []).map((m: TeamMember) => [m.user_id, m.name]));
  const myId = me.value?.id;
  useEffect(() => {
    // Opening the timeline is reading it: send read receipts (既読) for what others wrote.
    for (const r of recs ?? []) if (!r.read_by_me && !r.pending && r.author_id !== myId) void markRead(r);
  }, [recs, myId]);
  if (recs && recs.length === 0) return <p class="empty">{t('patient.no_records')}</p>;
  return (
    <ol class="timeline">
      {(recs as LocalRecord[] | undefined)?.map((r) => {
        const author = names.get(r.author_id);
        const flags = abnormal(r.vitals);
        return (
          <li key={r.id} class="card">
            <p class="meta">
              <strong>{t(`kind.${r.kind}` as MessageKey)}</strong> · <time dateTime={r.occurred_at}>{formatDateTime(r.occurred_at)}</time>
              {author && ` · ${author}`}
              {r.pending && <span class="tag warn">{t('patient.pending')}</span>}
            </p>
            {r.vitals && (
              <dl class="vitals">
                {VITALS.filter((s) => r.vitals?.[s.key] !== undefined).map((s) => (
                  <div key={s.key} class={flags.includes(s.key) ? 'abnormal' : ''}>
                    <dt>{t(`vital.${s.key}` as MessageKey)}</dt>
                    <dd>{r.vitals![s.key]}{flags.includes(s.key) && <span class="sr"> {t('patient.abnormal')}</span>}</dd>
                  </div>
                ))}
              </dl>
            )}
            {r.text && <p class="text">{r.text}</p>}
            {r.next_visit_on && <p>{t('patient.next_visit', { date: formatDate(r.next_visit_on) })}</p>}
            {r.plan_changed && <p class="tag">{t('patient.plan_changed')}</p>}
            {!!r.attachment_ids?.length && (
              <div class="photos">
                {r.pending
                  ? t('patient.photos', { n: r.attachment_ids.length })
                  : r.attachment_ids.map((a: string) => <img key={a} loading="lazy" alt={t('record.photos')} src={`/api/v1/attachments/${a}/thumbnail?redirect=1`} />)}
              </div>
            )}
          </li>
        );
      })}
    </ol>
  );
}

function addDays(day: string, n: number): string {
  const d = new Date(`${day}T12:00:00+09:00`);
  d.setUTCDate(d.getUTCDate() + n);
  return tokyoDay(d);
}

function Calendar({ id }: { id: string }) {
  const [start, setStart] = useState(() => {
    const today = tokyoDay();
    const dow = new Date(`${today}T12:00:00+09:00`).getUTCDay(); // 0 = Sunday
    return addDays(today, -((dow + 6) % 7)); // weeks start on Monday
  });
  const days = Array.from({ length: 7 }, (_, i) => addDays(start, i));
  const visits = useData(() => listVisits(days[0]!, days[6]!, id), [id, start]);
  const recs = useData(() => listRecords(id), [id]);
  const byDay = (d: string) => ({
    v: (visits ?? []).filter((x) => tokyoDay(x.starts_at) === d),
    r: (recs ?? []).filter((x) => tokyoDay(x.occurred_at) === d),
  });
  return (
    <div>
      <div class="row">
        <button onClick={() => setStart(addDays(start, -7))}>{t('patient.prev_week')}</button>
        <span class="grow center">{formatDate(days[0]!)} – {formatDate(days[6]!)}</span>
        <button onClick={() => setStart(addDays(start, 7))}>{t('patient.next_week')}</button>
      </div>
      <ol class="week">
        {days.map((d) => {
          const { v, r } = byDay(d);
          return (
            <li key={d} class={d === tokyoDay() ? 'today' : ''}>
              <h3>{formatDate(d)}</h3>
              {v.length === 0 && r.length === 0 && <span class="muted">—</span>}
              <ul>
                {v.map((x) => <li key={`${x.id}/${x.occurrence_start ?? ''}`}>{formatTime(x.starts_at)} {visitLabel(x)}</li>)}
                {r.map((x) => <li key={x.id}><span aria-hidden="true">📝 </span>{t(`kind.${x.kind}` as MessageKey)}</li>)}
              </ul>
            </li>
          );
        })}
      </ol>
    </div>
  );
}

function Team({ id }: { id: string }) {
  const team = useData(() => listTeam(id), [id]);
  if (team && team.length === 0) return <p class="empty">{t('patient.no_team')}</p>;
  return (
    <ul class="list">
      {team?.map((m) => (
        <li key={m.user_id} class="row"><span class="grow">{m.name ?? m.user_id}</span><span>{t(`role.${m.role}` as MessageKey)}</span></li>
      ))}
    </ul>
  );
}
