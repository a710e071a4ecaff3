// ケアプランデータ連携: a service provider imports the month's 第6表 予定 file its care
// managers sent (UPPLAN_…CSV, Shift-JIS) into the calendar — preview first: the visits
// per day and time, the visits a corrected file cancels, the rows it does not import and
// why — and saves the month's 実績 file (UPJSK_…CSV) for each care manager's office.
// Loaded on first use (ui/lazy.tsx); the file never leaves the device except to the server.

import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../api';
import { fileFault } from '../careplan';
import { monthOf, shiftMonth, validMonth } from '../digest';
import { errorMessage, formatDateTime, formatMonth, formatTime, t, tokyoDay, type MessageKey } from '../i18n';
import { cpt, ruleText, type CareplanKey } from '../i18n/careplan';
import { api, describeError, status } from '../state';

interface Slot {
  row: number;
  patient_id: string;
  patient_name: string;
  kind: string;
  starts_at: string;
  ends_at: string;
  service: string;
  action: 'create' | 'keep' | 'replan';
}
interface Cancel { visit_id: string; patient_name: string; kind: string; starts_at: string; ends_at: string; service: string }
interface Unmatched { row: number; insured_number: string; service: string; reason: string }
export interface CareplanPlan {
  file_name: string;
  month: string;
  from_office: string;
  to_office: string;
  imported: boolean;
  slots: Slot[] | null;
  cancels: Cancel[] | null;
  unmatched: Unmatched[] | null;
  created: number;
  kept: number;
  replanned: number;
  cancelled: number;
}
interface Office { office_number: string; service_type: string; planned: number; done: number }

/** What went wrong, as the screen says it: the file's row and column and the rule, or the API's message. */
function problemText(e: unknown): string {
  if (e instanceof ApiError && e.code === 'careplan_file_invalid' && e.errors.length > 0) {
    const f = fileFault(e.errors[0]!);
    const where = f.column ? cpt('careplan.fault_cell', { row: f.row ?? 0, column: f.column, name: f.name ?? '' })
      : f.row ? cpt('careplan.fault_row', { row: f.row }) : f.inName ? cpt('careplan.fault_name') : cpt('careplan.fault_file');
    return `${cpt('careplan.fault', { where, rule: ruleText(f.rule) })} ${cpt('careplan.nothing_imported')}`;
  }
  return errorMessage(describeError(e));
}

export function CareplanImport({ month }: { month?: string }) {
  const [file, setFile] = useState<File | null>(null);
  const [plan, setPlan] = useState<CareplanPlan | null>(null);
  const [busy, setBusy] = useState<'' | 'preview' | 'import'>('');
  const [err, setErr] = useState('');
  const online = status.value?.online ?? navigator.onLine;

  const send = async (what: 'preview' | 'import') => {
    if (!file) return;
    setBusy(what);
    setErr('');
    try {
      const body = new Uint8Array(await file.arrayBuffer());
      const path = what === 'preview' ? '/careplan/plans/preview' : '/careplan/plans';
      setPlan(await api.request<CareplanPlan>('POST', path, { query: { filename: file.name }, body, contentType: 'text/csv' }));
    } catch (e) {
      setPlan(null);
      setErr(problemText(e));
    } finally {
      setBusy('');
    }
  };

  return (
    <section class="careplan" aria-labelledby="cp-h">
      <p><a href="#/calendar">← {t('cal.my_week')}</a></p>
      <h1 id="cp-h">{cpt('careplan.title')}</h1>
      {!online && <p class="notice" role="status">{cpt('careplan.offline')}</p>}
      <h2>{cpt('careplan.import_h')}</h2>
      <p class="muted">{cpt('careplan.intro')}</p>
      <label>{cpt('careplan.file')}
        <input type="file" name="careplan_file" accept=".csv,.CSV,text/csv" onChange={(e) => {
          setFile(e.currentTarget.files?.[0] ?? null);
          setPlan(null);
          setErr('');
        }} />
      </label>
      <div class="row">
        <button onClick={() => void send('preview')} disabled={!file || !!busy || !online}>{busy === 'preview' ? cpt('careplan.reading') : cpt('careplan.preview')}</button>
        {plan && !plan.imported && (
          <button class="primary" onClick={() => void send('import')} disabled={!!busy || !online}>{busy === 'import' ? cpt('careplan.importing') : cpt('careplan.import')}</button>
        )}
      </div>
      {err && <p class="error" role="alert">{err}</p>}
      {plan && <PlanView plan={plan} />}
      <Export month={validMonth(month) ? month : plan?.month ?? monthOf(tokyoDay())} online={online} rev={plan?.imported ? plan.created + plan.cancelled + plan.replanned + 1 : 0} />
    </section>
  );
}

const kindLabel = (k: string) => t(`visit.${k}` as MessageKey);

function PlanView({ plan }: { plan: CareplanPlan }) {
  const slots = plan.slots ?? [];
  const cancels = plan.cancels ?? [];
  const unmatched = plan.unmatched ?? [];
  return (
    <div class="careplan-plan">
      <p><strong>{plan.file_name}</strong><br />{cpt('careplan.file_of', { month: formatMonth(`${plan.month}-01`), from: plan.from_office, to: plan.to_office })}</p>
      {plan.imported ? (
        <p class="done-msg" role="status">{cpt('careplan.done', { create: plan.created, cancel: plan.cancelled })} <a href="#/calendar">{cpt('careplan.to_calendar')}</a></p>
      ) : (
        <p class="notice" role="status">{cpt('careplan.summary', { create: plan.created, keep: plan.kept, replan: plan.replanned, cancel: plan.cancelled, unmatched: unmatched.length })}</p>
      )}
      <h2>{cpt(plan.imported ? 'careplan.slots_done_h' : 'careplan.slots_h')}</h2>
      {slots.length === 0 ? <p class="empty">{cpt('careplan.none')}</p> : (
        <table class="data careplan-slots">
          <thead>
            <tr>
              <th scope="col">{cpt('careplan.col.row')}</th>
              <th scope="col">{cpt('careplan.col.patient')}</th>
              <th scope="col">{cpt('careplan.col.day')}</th>
              <th scope="col">{cpt('careplan.col.kind')}</th>
              <th scope="col">{cpt('careplan.col.service')}</th>
              <th scope="col">{cpt('careplan.col.action')}</th>
            </tr>
          </thead>
          <tbody>
            {slots.map((s) => (
              <tr key={`${s.patient_id}/${s.starts_at}/${s.row}`} class={`action-${s.action}`}>
                <td>{s.row}</td>
                <th scope="row">{s.patient_name}</th>
                <td>{formatDateTime(s.starts_at)}–{formatTime(s.ends_at)}</td>
                <td>{kindLabel(s.kind)}</td>
                <td>{s.service}</td>
                <td>{cpt(`careplan.action.${s.action}` as CareplanKey)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {cancels.length > 0 && (
        <>
          <h2>{cpt('careplan.cancels_h')}</h2>
          <ul class="careplan-cancels">
            {cancels.map((c) => <li key={c.visit_id}>{c.patient_name} · {formatDateTime(c.starts_at)}–{formatTime(c.ends_at)} · {kindLabel(c.kind)} · {c.service}</li>)}
          </ul>
        </>
      )}
      {unmatched.length > 0 && (
        <>
          <h2>{cpt('careplan.unmatched_h')}</h2>
          <table class="data careplan-unmatched">
            <thead>
              <tr>
                <th scope="col">{cpt('careplan.col.row')}</th>
                <th scope="col">{cpt('careplan.col.insured')}</th>
                <th scope="col">{cpt('careplan.col.service')}</th>
                <th scope="col">{cpt('careplan.col.reason')}</th>
              </tr>
            </thead>
            <tbody>
              {unmatched.map((u) => (
                <tr key={u.row}>
                  <td>{u.row}</td>
                  <td>{u.insured_number}</td>
                  <td>{u.service}</td>
                  <td>{cpt(`careplan.reason.${u.reason}` as CareplanKey)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </div>
  );
}

/** The month's 実績 files: one download per care manager's office whose plan was imported and service type of ours (the standard sends 実績 per サービス種類 and office). */
function Export({ month, online, rev }: { month: string; online: boolean; rev: number }) {
  const [offices, setOffices] = useState<Office[] | null>(null);
  const [err, setErr] = useState('');
  useEffect(() => {
    let live = true;
    setOffices(null);
    setErr('');
    api.request<{ offices: Office[] | null }>('GET', '/careplan/offices', { query: { month } }).then(
      (r) => live && setOffices(r.offices ?? []),
      (e) => live && setErr(describeError(e)),
    );
    return () => {
      live = false;
    };
  }, [month, online, rev]);
  return (
    <section aria-labelledby="cp-export-h" class="careplan-export">
      <h2 id="cp-export-h">{cpt('careplan.export_h')}</h2>
      <p class="muted">{cpt('careplan.export_intro')}</p>
      <nav class="cal-nav row" aria-label={cpt('careplan.month')}>
        <a class="button" href={`#/careplan/${shiftMonth(month, -1)}`} aria-label={cpt('careplan.prev_month')}>‹</a>
        <strong class="grow month" aria-live="polite">{formatMonth(`${month}-01`)}</strong>
        <a class="button" href={`#/careplan/${shiftMonth(month, 1)}`} aria-label={cpt('careplan.next_month')}>›</a>
      </nav>
      {err && <p class="error" role="alert">{errorMessage(err)}</p>}
      {offices && offices.length === 0 && <p class="empty">{cpt('careplan.no_offices')}</p>}
      <ul class="careplan-offices">
        {(offices ?? []).map((o) => (
          <li key={`${o.office_number}-${o.service_type}`}>
            {cpt('careplan.office', { office: o.office_number, type: o.service_type, planned: o.planned, done: o.done })}{' '}
            <a class="button" download
              href={`/api/v1/careplan/actuals?month=${encodeURIComponent(month)}&to=${encodeURIComponent(o.office_number)}&service_type=${encodeURIComponent(o.service_type)}`}>
              {cpt('careplan.download')}
            </a>
          </li>
        ))}
      </ul>
    </section>
  );
}
