// The consents of a patient (同意の履歴) on the patient screen, loaded on first
// use: every consent with its date, scope, who obtained and recorded it, whether
// it is active or withdrawn (and why), the pages of the signed form for those who
// manage the patient, and withdrawing with a reason after a confirmation step.

import { useState } from 'preact/hooks';
import type { Patient } from '../schemas';
import { errorMessage, formatDate, formatDateTime, t } from '../i18n';
import { ct } from '../i18n/care';
import { describeError, getPatient, listConsents, listTeam, me, status, withdrawConsent, type LocalConsent } from '../state';
import { useData } from './hooks';

export function ConsentHistory({ id }: { id: string }) {
  const [rev, setRev] = useState(0);
  const data = useData(async () => {
    const [list, team, patient] = await Promise.all([listConsents(id), listTeam(id), getPatient(id)]);
    const names = new Map(team.map((m) => [m.user_id, m.name ?? '']));
    if (me.value) names.set(me.value.id, me.value.name);
    return { ...list, names, patient };
  }, [id, rev]);
  if (!data) return <p class="empty">{t('app.loading')}</p>;
  const manage = !!data.patient?.can_manage;
  const refused = new Map((status.value?.failed ?? []).filter((f) => f.subject).map((f) => [f.subject!, f.code]));
  const name = (uid?: string) => (uid && data.names.get(uid)) || ct('consent.someone');
  return (
    <section class="consents" aria-labelledby="consents-h">
      <div class="row">
        <h2 id="consents-h" class="grow">{ct('consent.history')}</h2>
        {manage && <a class="button primary" href={`#/patients/${id}/consent/new`}>{ct('consent.new')}</a>}
      </div>
      {!data.online && <p class="notice" role="status">{ct('consent.offline')}</p>}
      {data.online && data.consents.length === 0 && <p class="empty">{ct('consent.none')}</p>}
      {manage || data.consents.every((c) => !c.attachment_ids?.length) ? null : <p class="muted">{ct('consent.pages_managers')}</p>}
      <ol class="list consent-list">
        {data.consents.map((c) => (
          <ConsentItem key={c.id} c={c} patient={data.patient} manage={manage} name={name} problem={refused.get(c.id)} onWithdrawn={() => setRev(rev + 1)} />
        ))}
      </ol>
    </section>
  );
}

function ConsentItem({ c, patient, manage, name, problem, onWithdrawn }: {
  c: LocalConsent; patient?: Patient; manage: boolean; name: (id?: string) => string; problem?: string; onWithdrawn: () => void;
}) {
  const pages = c.attachment_ids ?? [];
  const date = formatDate(c.obtained_on);
  return (
    <li class={`card consent${c.active ? '' : ' withdrawn'}`} aria-label={ct('consent.obtained', { date })}>
      <p class="meta">
        <strong>{ct('consent.obtained', { date })}</strong>
        {problem ? <span class="tag warn">{ct('consent.refused')}</span>
          : c.pending ? <span class="tag warn">{ct('consent.pending')}</span>
            : <span class={`tag${c.active ? ' ok' : ' warn'}`}>{c.active ? ct('consent.active') : ct('consent.withdrawn')}</span>}
      </p>
      <p>{ct(`consent.scope.${c.scope}`)}<small class="muted"> — {ct(`consent.scope.${c.scope}_hint`)}</small></p>
      <p class="muted">
        {ct('consent.obtained_by_who', { name: name(c.obtained_by) })} · {ct('consent.recorded_by_who', { name: name(c.recorded_by), when: formatDateTime(c.recorded_at) })}
      </p>
      {!c.active && c.withdrawn_at && (
        <p>
          {ct('consent.withdrawn_at', { when: formatDateTime(c.withdrawn_at), name: name(c.withdrawn_by) })}
          {c.withdrawal_reason && <><br />{ct('consent.reason', { reason: c.withdrawal_reason })}</>}
        </p>
      )}
      {problem && <p class="error">{errorMessage(problem)}</p>}
      {pages.length === 0 ? <p class="muted">{ct('consent.no_form')}</p> : (
        <>
          <p class="muted">{ct('consent.page_count', { n: pages.length })}</p>
          {manage && !c.pending && (
            <ol class="thumbs pages">
              {pages.map((a, i) => (
                <li key={a}>
                  <a href={`/api/v1/attachments/${a}?redirect=1`} target="_blank" rel="noopener" aria-label={ct('consent.open_page', { n: i + 1 })}>
                    <img loading="lazy" alt={ct('consent.page', { n: i + 1 })} src={`/api/v1/attachments/${a}/thumbnail?redirect=1`} />
                  </a>
                  <span class="page-no" aria-hidden="true">{i + 1}</span>
                </li>
              ))}
            </ol>
          )}
        </>
      )}
      {manage && c.active && !c.pending && patient && <Withdraw patientId={patient.id} c={c} date={date} onDone={onWithdrawn} />}
    </li>
  );
}

/** Withdrawing is two steps: the button opens the reason and a warning; the second button does it. */
function Withdraw({ patientId, c, date, onDone }: { patientId: string; c: LocalConsent; date: string; onDone: () => void }) {
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  const [err, setErr] = useState('');
  const [busy, setBusy] = useState(false);
  const online = status.value?.online ?? navigator.onLine;
  if (!open) return <div class="row actions"><button type="button" class="danger" aria-label={ct('consent.withdraw_label', { date })} onClick={() => setOpen(true)}>{ct('consent.withdraw')}</button></div>;
  const go = async (e: Event) => {
    e.preventDefault();
    if (!reason.trim()) return setErr(ct('consent.withdraw_needs_reason'));
    setBusy(true);
    setErr('');
    try {
      await withdrawConsent(patientId, c.id, reason.trim());
      setOpen(false);
      onDone();
    } catch (x) {
      setErr(errorMessage(describeError(x)));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="withdraw" onSubmit={go} aria-labelledby={`wd-${c.id}`}>
      <h3 id={`wd-${c.id}`}>{ct('consent.withdraw_title')}</h3>
      <p class="notice">{ct('consent.withdraw_warning')}</p>
      {!online && <p class="notice" role="status">{ct('consent.withdraw_offline')}</p>}
      <label>{ct('consent.withdraw_reason')}<textarea name="reason" rows={2} maxLength={500} value={reason} onInput={(e) => setReason(e.currentTarget.value)} /></label>
      {err && <p class="error" role="alert">{err}</p>}
      <div class="row actions">
        <button class="danger" disabled={busy || !online}>{ct('consent.withdraw_confirm')}</button>
        <button type="button" onClick={() => { setOpen(false); setErr(''); }}>{ct('consent.withdraw_cancel')}</button>
      </div>
    </form>
  );
}
