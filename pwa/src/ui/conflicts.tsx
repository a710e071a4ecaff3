import { useState } from 'preact/hooks';
import { displacedVersion } from '../sync/conflicts';
import type { Conflict } from '../sync/outbox';
import { errorMessage, formatDate, formatDateTime, formatTime, t, type MessageKey } from '../i18n';
import { occurrences } from '../recurrence';
import type { RecordDetail, VisitDetail, Vitals } from '../schemas';
import { addDays, tokyoDate } from '../calendar';
import { describeError, listConflicts, listPatients, listTeam, resolveConflict } from '../state';
import { applyUpdate } from '../visits';
import { vitalRows } from '../vitals';
import { useData } from './hooks';

// Conflicts, side by side: what I changed on this device and what the server has.
// The user decides; nothing is resolved silently.

/** The occurrence a change named (or the visit itself). */
function occurrenceOf(v: VisitDetail, at: unknown): VisitDetail | undefined {
  if (typeof at !== 'string' || !v.recurrence) return v;
  const d = tokyoDate(at);
  return occurrences(v, addDays(d, -92), addDays(d, 92)).find((o) => Date.parse(o.occurrence_start ?? '') === Date.parse(at));
}

interface Row { label: string; mine: string; theirs: string }

function Compare({ rows, mineTitle, theirsTitle }: { rows: Row[]; mineTitle: string; theirsTitle: string }) {
  return (
    <table class="compare">
      <thead>
        <tr><td /><th scope="col" class="yours">{mineTitle}</th><th scope="col" class="server">{theirsTitle}</th></tr>
      </thead>
      <tbody>
        {rows.map((r) => {
          const diff = r.mine !== r.theirs;
          return (
            <tr key={r.label} class={diff ? 'diff' : ''}>
              <th scope="row">{r.label}{diff && <span class="tag warn">{t('conflict.differs')}</span>}</th>
              <td class="yours">{r.mine || '—'}</td>
              <td class="server">{r.theirs || '—'}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function visitRows(mine: VisitDetail | undefined, theirs: VisitDetail | undefined, who: Map<string, string>): Row[] {
  const at = (v?: VisitDetail) => (v ? (v.all_day ? `${formatDate(v.starts_at)} ${t('cal.all_day')}` : `${formatDateTime(v.starts_at)}–${formatTime(v.ends_at)}`) : t('conflict.gone'));
  const people = (v?: VisitDetail) => (v?.assignee_ids ?? []).map((id) => who.get(id) ?? '—').join('・');
  return [
    { label: t('sync.visit_at'), mine: at(mine), theirs: at(theirs) },
    { label: t('sync.visit_status'), mine: mine ? t(`visit.status.${mine.status}` as MessageKey) : '', theirs: theirs ? t(`visit.status.${theirs.status}` as MessageKey) : '' },
    { label: t('visit.kind'), mine: mine ? t(`visit.${mine.kind}` as MessageKey) : '', theirs: theirs ? t(`visit.${theirs.kind}` as MessageKey) : '' },
    { label: t('visit.assignees'), mine: people(mine), theirs: people(theirs) },
    { label: t('visit.note'), mine: mine?.note ?? '', theirs: theirs?.note ?? '' },
  ];
}

const vitalsText = (v?: Vitals) => vitalRows(v).map((s) => `${t(`vital.${s.key}` as MessageKey)} ${s.text}`).join('、');

function VisitConflict({ c, who, busy, act }: { c: Conflict; who: Map<string, string>; busy: boolean; act: (choice: 'mine' | 'server') => void }) {
  const server = c.server as VisitDetail | null;
  if (!server) {
    return <button class="keep-server" disabled={busy} onClick={() => act('server')}>{t('sync.dismiss')}</button>;
  }
  const occ = c.mutation.args.occurrence_start;
  const mine = occurrenceOf(applyUpdate(server, c.mutation.args, '', ''), occ);
  const theirs = occurrenceOf(server, occ);
  return (
    <>
      <p>{t('conflict.visit_hint', { who: who.get(server.updated_by) ?? t('conflict.someone'), when: formatDateTime(server.updated_at) })}</p>
      <Compare rows={visitRows(mine, theirs, who)} mineTitle={t('conflict.col_mine')} theirsTitle={t('conflict.col_server')} />
      <div class="row wrap">
        <button class="primary choose-mine" disabled={busy} onClick={() => act('mine')}>{t('conflict.choose_mine')}</button>
        <button class="keep-server" disabled={busy} onClick={() => act('server')}>{t('conflict.keep_server')}</button>
      </div>
    </>
  );
}

function RecordConflict({ c, busy, act }: { c: Conflict; busy: boolean; act: (choice: 'mine' | 'server' | 'amend', extra?: { reason: string; text?: string; vitals?: Vitals }) => void }) {
  const server = c.server as RecordDetail;
  const theirs = displacedVersion(server);
  const mineText = typeof c.mutation.args.text === 'string' ? c.mutation.args.text : server.text ?? '';
  const mineVitals = (c.mutation.args.vitals as Vitals | undefined) ?? server.vitals;
  const [writing, setWriting] = useState(false);
  const [text, setText] = useState(() => [theirs?.text, mineText].filter(Boolean).join('\n'));
  const [reason, setReason] = useState('');
  const by = theirs ? `${theirs.entered_by_name}・${formatDateTime(theirs.created_at)}` : '';
  return (
    <>
      <p>{t('conflict.record_hint', { who: theirs?.entered_by_name ?? t('conflict.someone') })}</p>
      <Compare
        rows={[
          { label: t('record.text'), mine: mineText, theirs: theirs?.text ?? '' },
          { label: t('record.vitals'), mine: vitalsText(mineVitals), theirs: vitalsText(theirs?.vitals) },
        ]}
        mineTitle={t('conflict.my_amendment')} theirsTitle={`${t('conflict.their_version')} (${by})`} />
      <div class="row wrap">
        <button class="primary choose-mine" disabled={busy} onClick={() => act('mine', { reason: t('conflict.reason_mine') })}>{t('conflict.choose_mine_record')}</button>
        <button class="keep-server" disabled={busy || !theirs} onClick={() => act('server', { reason: t('conflict.reason_theirs') })}>{t('conflict.keep_theirs')}</button>
        <button aria-expanded={writing} onClick={() => setWriting(!writing)}>{t('conflict.write_amendment')}</button>
      </div>
      {writing && (
        <form class="reconcile" onSubmit={(e) => { e.preventDefault(); act('amend', { reason, text, vitals: mineVitals }); }}>
          <label>{t('record.text')}<textarea rows={5} value={text} onInput={(e) => setText(e.currentTarget.value)} /></label>
          <label>{t('amend.reason')}<input required maxLength={1000} value={reason} onInput={(e) => setReason(e.currentTarget.value)} /></label>
          <button class="primary" disabled={busy || !reason.trim()}>{t('conflict.save_amendment')}</button>
        </form>
      )}
    </>
  );
}

/**
 * A confirmation (確定) of a version someone replaced meanwhile: the version the
 * author saw beside the current one. The author confirms the current version, or
 * leaves it for later; nothing is confirmed unseen.
 */
function ConfirmConflict({ c, busy, act }: { c: Conflict; busy: boolean; act: (choice: 'mine' | 'server') => void }) {
  const server = c.server as RecordDetail | null;
  if (!server) return <button class="keep-server" disabled={busy} onClick={() => act('server')}>{t('sync.dismiss')}</button>;
  const asked = Number(c.mutation.args.version);
  const seen = server.versions?.find((v) => v.version === asked);
  const now = server.versions?.find((v) => v.version === server.version);
  const who = now?.entered_by_name ?? t('conflict.someone');
  return (
    <>
      <p>{t('confirm.conflict_hint', { n: asked, m: server.version, who, when: now ? formatDateTime(now.created_at) : '' })}</p>
      <Compare
        rows={[
          { label: t('record.text'), mine: seen?.text ?? '', theirs: server.text ?? '' },
          { label: t('record.vitals'), mine: vitalsText(seen?.vitals), theirs: vitalsText(server.vitals) },
        ]}
        mineTitle={t('confirm.col_seen', { n: asked })} theirsTitle={t('confirm.col_current', { n: server.version, who })} />
      {!server.awaiting_confirmation && <p class="notice">{t('confirm.conflict_settled')}</p>}
      <div class="row wrap">
        {server.awaiting_confirmation && (
          <button class="primary choose-mine" disabled={busy} onClick={() => act('mine')}>{t('confirm.confirm_current', { n: server.version })}</button>
        )}
        <button class="keep-server" disabled={busy} onClick={() => act('server')}>{server.awaiting_confirmation ? t('confirm.later') : t('conflict.close')}</button>
      </div>
    </>
  );
}

export function Conflicts() {
  const data = useData(async () => {
    const [conflicts, patients] = await Promise.all([listConflicts(), listPatients()]);
    const pids = [...new Set(conflicts.map((c) => (c.server as { patient_id?: string } | null)?.patient_id ?? ''))].filter(Boolean);
    const teams = await Promise.all(pids.map((p) => listTeam(p)));
    return { conflicts, patients: new Map(patients.map((p) => [p.id, p.name])), who: new Map(teams.flat().map((m) => [m.user_id, m.name])) };
  });
  const [busy, setBusy] = useState('');
  const [err, setErr] = useState('');
  const act = (id: string) => async (choice: 'mine' | 'server' | 'amend', extra?: { reason: string; text?: string; vitals?: Vitals }) => {
    setBusy(id);
    setErr('');
    try {
      await resolveConflict(id, choice, extra);
    } catch (x) {
      setErr(errorMessage(describeError(x)));
    } finally {
      setBusy('');
    }
  };
  return (
    <section aria-labelledby="conflicts-h">
      <h1 id="conflicts-h">{t('conflict.title')}</h1>
      <p>{t('sync.conflict_hint')}</p>
      {err && <p class="error" role="alert">{err}</p>}
      {data && data.conflicts.length === 0 && <p class="empty" role="status">{t('conflict.none')}</p>}
      <ul class="list">
        {data?.conflicts.map((c) => {
          const server = (c.server ?? {}) as { patient_id?: string; kind?: string; occurred_at?: string };
          const isVisit = c.mutation.type === 'visit.update';
          const what = isVisit ? t(`visit.${server.kind}` as MessageKey) : `${t(`kind.${server.kind}` as MessageKey)} · ${formatDateTime(server.occurred_at ?? '')}`;
          return (
            <li key={c.mutation.id} class="card conflict">
              <h2>{data.patients.get(server.patient_id ?? '') ?? '—'} · {what}</h2>
              {isVisit
                ? <VisitConflict c={c} who={data.who} busy={busy === c.mutation.id} act={act(c.mutation.id)} />
                : c.mutation.type === 'record.confirm'
                  ? <ConfirmConflict c={c} busy={busy === c.mutation.id} act={act(c.mutation.id)} />
                  : <RecordConflict c={c} busy={busy === c.mutation.id} act={act(c.mutation.id)} />}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
