import { useEffect, useState } from 'preact/hooks';
import { mayConfirm } from '../authorship';
import { formatDate, formatDateTime, t, type MessageKey } from '../i18n';
import type { VersionOut } from '../schemas';
import { getPatient, getRecord, listTeam, me, recordHistory, type LocalRecord } from '../state';
import { vitalRows } from '../vitals';
import { RecordFieldList } from './record-fields';
import { useData } from './hooks';
import { ConfirmButton } from './patient';

// One record with its history: every version, who entered it and who confirmed
// it (代行入力と確定), and the author's confirm button. The device keeps only the
// current version, so the history is read from the server while online.

const profession = (p: string) => t(`profession.${p}` as MessageKey);

export function RecordView({ patientId, recordId }: { patientId: string; recordId: string }) {
  const local = useData(() => getRecord(recordId).then((r) => r ?? null), [recordId]);
  const team = useData(() => listTeam(patientId), [patientId]);
  const patient = useData(() => getPatient(patientId), [patientId]);
  // Read the history again only when the record itself changed (not on every sync).
  const [online, setOnline] = useState<{ record: LocalRecord; online: boolean } | null | undefined>(undefined);
  useEffect(() => {
    let live = true;
    void recordHistory(recordId).then((x) => live && setOnline(x));
    return () => {
      live = false;
    };
  }, [recordId, local?.version, local?.confirmed_at, local?.pending]);

  if (online === undefined && local === undefined) return <p class="empty">{t('app.loading')}</p>;
  const base = online?.record ?? local;
  if (!base) return <p class="empty">{t('patient.not_found')}</p>;
  // A confirmation made on this device shows at once, before the server has it.
  const r: LocalRecord = local?.confirm_pending ? { ...base, ...pickConfirmation(local) } : base;
  const names = new Map((team ?? []).map((m) => [m.user_id, m.name]));
  const myId = me.value?.id ?? '';
  const author = names.get(r.author_id) ?? r.versions?.find((v) => v.entered_by === r.author_id)?.entered_by_name ?? t('conflict.someone');
  const what = `${t(`kind.${r.kind}` as MessageKey)} ${formatDateTime(r.occurred_at)}`;
  const measured = vitalRows(r.vitals);
  const versions = [...(r.versions ?? [])].reverse();
  return (
    <section class="record-view" aria-labelledby="rv-h">
      <a class="button back" href={`#/patients/${patientId}`}>{t('record.back', { name: patient?.name ?? '' })}</a>
      <h1 id="rv-h">{what}</h1>
      <p class="meta">{t('record.author', { name: author })}</p>
      {r.awaiting_confirmation && (
        <div class="notice">
          <p>{r.author_id === myId ? t('confirm.hint_mine') : t('confirm.hint_other', { name: author })}</p>
          {mayConfirm(r, myId) && <ConfirmButton rec={r} label={t('confirm.button_label', { what })} />}
        </div>
      )}
      {r.confirm_pending && <p class="notice" role="status">{t('confirm.pending_hint')}</p>}
      <div class="card">
        {measured.length > 0 && (
          <dl class="vitals">
            {measured.map((s) => (
              <div key={s.key} class={s.abnormal ? 'abnormal' : ''}>
                <dt>{t(`vital.${s.key}` as MessageKey)}</dt>
                <dd>{s.text}{s.abnormal && <span class="sr"> {t('patient.abnormal')}</span>}</dd>
              </div>
            ))}
          </dl>
        )}
        {r.text && <p class="text">{r.text}</p>}
        <RecordFieldList r={r} />
        {r.next_visit_on && <p>{t('patient.next_visit', { date: formatDate(r.next_visit_on) })}</p>}
      </div>
      <h2>{t('history.title')}</h2>
      {!online?.online && <p class="muted">{t('history.offline')}</p>}
      <ol class="versions">
        {versions.map((v) => <Version key={v.version} v={v} current={v.version === r.version} authorId={r.author_id} />)}
      </ol>
    </section>
  );
}

function pickConfirmation(l: LocalRecord): Partial<LocalRecord> {
  return { awaiting_confirmation: l.awaiting_confirmation, confirmed_by: l.confirmed_by, confirmed_at: l.confirmed_at, confirm_pending: l.confirm_pending };
}

function Version({ v, current, authorId }: { v: VersionOut; current: boolean; authorId: string }) {
  const confirmation = v.confirmed_by
    ? t('history.confirmed', { name: v.confirmed_by_name ?? '', when: formatDateTime(v.confirmed_at ?? '') })
    : !v.needs_confirmation ? t('history.by_author')
    : current ? t('confirm.awaiting') : t('history.replaced');
  return (
    <li class="card">
      <h3>
        {t('history.version', { n: v.version })}{current && ` ${t('history.current')}`}
        {v.status === 'entered_in_error' && <span class="tag warn">{t('patient.entered_in_error')}</span>}
        {v.entered_by !== authorId && <span class="tag">{t('history.proxy')}</span>}
      </h3>
      <dl class="facts">
        <dt>{t('history.entered')}</dt>
        <dd>{v.entered_by_name}{v.entered_by_profession && ` (${profession(v.entered_by_profession)})`} · <time dateTime={v.created_at}>{formatDateTime(v.created_at)}</time></dd>
        <dt>{t('history.confirmation')}</dt>
        <dd class={v.needs_confirmation && !v.confirmed_by && current ? 'warn' : ''}>{confirmation}</dd>
        {v.reason && <><dt>{t('amend.reason')}</dt><dd>{v.reason}</dd></>}
      </dl>
      {!current && v.text && (
        <details>
          <summary>{t('history.content')}</summary>
          <p class="text">{v.text}</p>
        </details>
      )}
    </li>
  );
}
