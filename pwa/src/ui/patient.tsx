import { useEffect, useState } from 'preact/hooks';
import type { TeamMember } from '../schemas';
import { CHART_KINDS, CLINICAL, mayConfirm } from '../authorship';
import { age, errorMessage, formatDate, formatDateTime, formatEraDate, t, type MessageKey } from '../i18n';
import { confirmRecord, describeError, getPatient, listRecords, listTeam, markRead, me, status, unreadMessages, type LocalRecord } from '../state';
import { vitalRows } from '../vitals';
import { ct } from '../i18n/channel';
import { RecordFieldList } from './record-fields';
import { PatientCalendar } from './calendar';
import { useData } from './hooks';
import { lazy } from './lazy';
import { VitalsTrend } from './vitals-chart';

const Team = lazy(() => import('./team').then((m) => m.default));
const ConsentHistory = lazy(() => import('./consents').then((m) => m.ConsentHistory));
const RecordSearch = lazy(() => import('./search').then((m) => m.RecordSearch)); // C: record search
const Channel = lazy(() => import('./channel').then((m) => m.default)); // the team channel (連絡)

export type Tab = 'timeline' | 'messages' | 'calendar' | 'vitals' | 'team' | 'consent';
export const TABS: Tab[] = ['timeline', 'messages', 'calendar', 'vitals', 'team', 'consent'];

/** Who may amend: the author; for chart kinds also any clinical member (the server decides). */
function mayAmend(r: LocalRecord): boolean {
  const u = me.value;
  return !r.pending && !!u && (r.author_id === u.id || (CHART_KINDS.includes(r.kind) && CLINICAL.includes(u.profession)));
}

const receipts = new Set<string>();

export function PatientView({ id, tab = 'timeline', focus }: { id: string; tab?: Tab; focus?: string }) {
  const p = useData(() => getPatient(id).then((x) => x ?? null), [id]);
  const chan = unreadMessages.value[id];
  if (p === undefined) return <p class="empty">{t('app.loading')}</p>;
  if (p === null) return <p class="empty">{t('patient.not_found')}</p>;
  return (
    <section aria-labelledby="patient-h">
      <header class="patient-head">
        <div class="grow">
          <h1 id="patient-h"><ruby>{p.name}<rt>{p.name_kana}</rt></ruby></h1>
          {p.birth_date && <p>{formatEraDate(p.birth_date)} · {t('patient.age', { n: age(p.birth_date) })}</p>}
        </div>
        {p.can_manage && <a class="button" href={`#/patients/${id}/access-log`}>{t('team.access_log')}</a>}
        <a class="button" href={`#/patients/${id}/summary`}>{t('summary.link')}</a>
        {(me.value?.profession === 'doctor' || me.value?.profession === 'dentist') && <a class="button" href={`#/patients/${id}/collab`}>{t('collab.link')}</a>}
        <a class="button primary" href={`#/patients/${id}/new`}>{t('patient.new_record')}</a>
      </header>
      <nav class="tabs" aria-label={t('patient.sections')}>
        {TABS.map((k) => (
          <a key={k} class="button" href={k === 'timeline' ? `#/patients/${id}` : `#/patients/${id}/${k}`} aria-current={tab === k ? 'page' : undefined}>
            {t(`patient.${k}` as MessageKey)}
            {k === 'messages' && !!chan?.messages && (
              <span class={chan.mentions ? 'badge tab-badge mention' : 'badge tab-badge'} aria-label={chan.mentions ? t('patients.unread_messages', { n: chan.messages, m: chan.mentions }) : t('patients.unread_messages_plain', { n: chan.messages })}>
                {chan.messages}{chan.mentions ? ` @${chan.mentions}` : ''}
              </span>
            )}
          </a>
        ))}
      </nav>
      <div>
        {tab === 'timeline' && <RecordSearch patientId={id} />}
        {tab === 'timeline' && <Timeline id={id} />}
        {tab === 'messages' && <Channel patientId={id} focus={focus} />}
        {tab === 'calendar' && <PatientCalendar id={id} />}
        {tab === 'vitals' && <Vitals id={id} />}
        {tab === 'team' && <Team id={id} />}
        {tab === 'consent' && <ConsentHistory id={id} />}
      </div>
    </section>
  );
}

function Timeline({ id }: { id: string }) {
  const recs = useData(() => listRecords(id).then((rs) => rs.sort((a, b) => b.occurred_at.localeCompare(a.occurred_at))), [id]);
  const team = useData(() => listTeam(id), [id]);
  const names = new Map((team ?? []).map((m: TeamMember) => [m.user_id, m.name]));
  const myId = me.value?.id;
  // Records whose create or confirmation the server refused, with its reason.
  const refused = new Map((status.value?.failed ?? []).filter((f) => f.subject).map((f) => [f.subject!, f.code]));
  useEffect(() => {
    // Opening the timeline is reading it: send read receipts (既読) for what others wrote.
    // A receipt is queued once, even when the list reloads before the first one is stored.
    for (const r of recs ?? []) {
      const k = `${myId}/${r.id}`;
      if (r.read_by_me || r.pending || r.author_id === myId || r.entered_by === myId || receipts.has(k)) continue;
      receipts.add(k);
      void markRead(r);
    }
  }, [recs, myId]);
  if (recs && recs.length === 0) return <p class="empty">{t('patient.no_records')}</p>;
  return (
    <ol class="timeline">
      {(recs as LocalRecord[] | undefined)?.map((r) => {
        const author = names.get(r.author_id);
        const what = `${t(`kind.${r.kind}` as MessageKey)} ${formatDateTime(r.occurred_at)}`;
        const proxy = !!r.entered_by && r.entered_by !== r.author_id;
        const problem = refused.get(r.id);
        // A refused create is not on the server: nothing there awaits confirmation.
        const awaiting = r.awaiting_confirmation && !problem;
        return (
          <li key={r.id} class={`card${awaiting ? ' awaiting' : ''}`}>
            <p class="meta">
              <strong>{t(`kind.${r.kind}` as MessageKey)}</strong> · <time dateTime={r.occurred_at}>{formatDateTime(r.occurred_at)}</time>
              {author && ` · ${author}`}
              {proxy && <span class="tag">{t(r.version > 1 ? 'confirm.correction_tag' : 'confirm.proxy_tag', { name: names.get(r.entered_by) ?? t('conflict.someone') })}</span>}
              {awaiting && <span class="tag warn">{t('confirm.awaiting')}</span>}
              {r.confirm_pending && <span class="tag warn">{t('confirm.pending')}</span>}
              {!r.confirm_pending && r.confirmed_by && <span class="tag">{t('confirm.done')}</span>}
              {problem ? <span class="tag warn">{t('patient.refused')}</span> : r.pending && <span class="tag warn">{t('patient.pending')}</span>}
              {r.version > 1 && <span class="tag">{t('patient.amended', { n: r.version })}</span>}
              {r.status === 'entered_in_error' && <span class="tag warn">{t('patient.entered_in_error')}</span>}
              {r.stale_parent && <span class="tag warn">{t('patient.stale')}</span>}
            </p>
            {r.vitals && (
              <dl class="vitals">
                {vitalRows(r.vitals).map((s) => (
                  <div key={s.key} class={s.abnormal ? 'abnormal' : ''}>
                    <dt>{t(`vital.${s.key}` as MessageKey)}</dt>
                    <dd>{s.text}{s.abnormal && <span class="sr"> {t('patient.abnormal')}</span>}</dd>
                  </div>
                ))}
              </dl>
            )}
            {r.text && <p class="text">{r.text}</p>}
            <RecordFieldList r={r} max={120} />
            {r.next_visit_on && <p>{t('patient.next_visit', { date: formatDate(r.next_visit_on) })}</p>}
            {r.plan_changed && <p class="tag">{t('patient.plan_changed')}</p>}
            {r.source_message_id && <p><a href={`#/patients/${id}/messages/${r.source_message_id}`}>{ct('chan.from_message')}</a></p>}
            {!!r.attachment_ids?.length && (
              <div class="photos">
                {r.pending
                  ? t('patient.photos', { n: r.attachment_ids.length })
                  : r.attachment_ids.map((a: string) => <img key={a} loading="lazy" alt={t('record.photos')} src={`/api/v1/attachments/${a}/thumbnail?redirect=1`} />)}
              </div>
            )}
            {problem && <p class="error">{errorMessage(problem)} <a href="#/settings">{t('patient.refused_more')}</a></p>}
            <div class="row wrap actions">
              {mayConfirm(r, myId ?? '') && <ConfirmButton rec={r} label={t('confirm.button_label', { what })} />}
              {!r.pending && <a class="button" href={`#/patients/${id}/records/${r.id}`} aria-label={t('patient.history_label', { what })}>{t('patient.history')}</a>}
              {mayAmend(r) && <a class="button amend" href={`#/patients/${id}/records/${r.id}/amend`}
                aria-label={t('patient.amend_label', { what })}>{t('patient.amend')}</a>}
            </div>
          </li>
        );
      })}
    </ol>
  );
}

/** 確定: queued through the outbox, so it works offline. */
export function ConfirmButton({ rec, label }: { rec: LocalRecord; label: string }) {
  const [err, setErr] = useState('');
  const [busy, setBusy] = useState(false);
  const go = async () => {
    setBusy(true);
    setErr('');
    try {
      await confirmRecord(rec);
    } catch (x) {
      setErr(errorMessage(describeError(x)));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button class="primary confirm" disabled={busy} onClick={go} aria-label={label}>{t('confirm.button')}</button>
      {err && <p class="error" role="alert">{err}</p>}
    </>
  );
}

function Vitals({ id }: { id: string }) {
  const recs = useData(() => listRecords(id), [id]);
  return recs ? <VitalsTrend records={recs} /> : <p class="empty">{t('app.loading')}</p>;
}
