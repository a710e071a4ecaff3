// 監査ログ: search the audit log (by user, patient id, action, result, dates), page
// back with the keyset (`before` / `next`), and download what the filter finds as a
// CSV built here from the pages, with the actors' names resolved.

import { useEffect, useRef, useState } from 'preact/hooks';
import { errorMessage, formatDateTime, tokyoDay } from '../i18n';
import { auditPage, failure, listFacilities, searchStaff } from './client';
import {
  AUDIT_ACTIONS, AUDIT_CSV_COLUMNS, auditCsv, auditFilterProblems, emptyAuditFilter, emptyStaffFilter,
  type AuditEvent, type AuditFilter,
} from './logic';
import type { AdminKey } from './messages';
import { ErrorNote, SelectField, at, useAction } from './ui';

const PAGE = 100;
const CSV_PAGE = 1000;
const CSV_MAX = 100_000;

export function Audit() {
  const [filter, setFilter] = useState<AuditFilter>(emptyAuditFilter());
  const [shownFilter, setShownFilter] = useState<AuditFilter | null>(null);
  const [events, setEvents] = useState<AuditEvent[] | null>(null);
  const [next, setNext] = useState<number | undefined>();
  const [people, setPeople] = useState<Map<string, string>>(new Map());
  const [facilities, setFacilities] = useState<Map<string, string>>(new Map());
  const [bad, setBad] = useState<Array<keyof AuditFilter>>([]);
  const load = useAction();
  useEffect(() => {
    void searchStaff(emptyStaffFilter()).then((us) => setPeople(new Map(us.map((u) => [u.id, u.name]))), () => undefined);
    void listFacilities().then((fs) => setFacilities(new Map(fs.map((f) => [f.id, f.name]))), () => undefined);
    void search(emptyAuditFilter());
  }, []);
  const search = (f: AuditFilter) => {
    const problems = auditFilterProblems(f);
    setBad(problems);
    if (problems.length) return;
    void load.run(async () => {
      const r = await auditPage(f, undefined, PAGE);
      setEvents(r.events ?? []);
      setNext(r.next || undefined);
      setShownFilter(f);
    });
  };
  const more = () =>
    shownFilter && next && load.run(async () => {
      const r = await auditPage(shownFilter, next, PAGE);
      setEvents((xs) => [...(xs ?? []), ...(r.events ?? [])]);
      setNext(r.next || undefined);
    });
  const set = (k: keyof AuditFilter) => (e: { currentTarget: { value: string } }) => setFilter({ ...filter, [k]: e.currentTarget.value });
  const field = (k: keyof AuditFilter) => (bad.includes(k) ? { 'aria-invalid': true } : {});
  const label = (k: keyof AuditFilter) => at(k === 'actor_id' ? 'admin.audit.user' : (`admin.audit.${k}` as AdminKey));
  const people_ = [...people].sort((a, b) => a[1].localeCompare(b[1], 'ja'));
  return (
    <section aria-labelledby="adm-audit-h">
      <h2 id="adm-audit-h">{at('admin.audit.title')}</h2>
      <form class="filters" role="search" aria-label={at('admin.audit.title')} onSubmit={(e) => { e.preventDefault(); search(filter); }}>
        <SelectField label={at('admin.audit.user')} name="actor_id" value={filter.actor_id} onChange={set('actor_id')}>
            <option value="">{at('admin.all')}</option>
            {people_.map(([id, name]) => <option key={id} value={id}>{name}</option>)}
          </SelectField>
        <div class="field">
          <label>{at('admin.audit.patient_id')}
            <input name="patient_id" autocomplete="off" autocapitalize="off" spellcheck={false} value={filter.patient_id} onInput={set('patient_id')} aria-describedby="adm-pid-hint" {...field('patient_id')} />
          </label>
          <small id="adm-pid-hint">{at('admin.audit.patient_hint')}</small>
        </div>
        <div class="field">
          <label>{at('admin.audit.action')}
            <input name="action" list="adm-actions" autocomplete="off" autocapitalize="off" spellcheck={false} value={filter.action} onInput={set('action')} aria-describedby="adm-act-hint" {...field('action')} />
          </label>
          <small id="adm-act-hint">{at('admin.audit.action_hint')}</small>
          <datalist id="adm-actions">{AUDIT_ACTIONS.map((a) => <option key={a} value={a} />)}</datalist>
        </div>
        <SelectField label={at('admin.audit.result')} name="result" value={filter.result} onChange={set('result')}>
            <option value="">{at('admin.all')}</option>
            {(['ok', 'denied', 'failed'] as const).map((r) => <option key={r} value={r}>{at(`admin.audit.result.${r}`)}</option>)}
          </SelectField>
        <label>{at('admin.audit.from')}<input name="from" type="date" value={filter.from} onInput={set('from')} {...field('from')} /></label>
        <label>{at('admin.audit.to')}<input name="to" type="date" value={filter.to} onInput={set('to')} {...field('to')} /></label>
        <div class="row filter-buttons">
          <button type="submit" class="primary" disabled={load.busy}>{at('admin.search')}</button>
          <button type="button" onClick={() => { const f = emptyAuditFilter(); setFilter(f); search(f); }}>{at('admin.clear')}</button>
        </div>
      </form>
      {bad.length > 0 && <p class="error" role="alert">{at('admin.audit.bad', { fields: bad.map(label).join('、') })}</p>}
      <ErrorNote err={load.err} />
      {shownFilter && <CsvDownload filter={shownFilter} people={people} facilities={facilities} />}
      {events && events.length === 0 && <p class="empty">{at('admin.none_found')}</p>}
      {!!events?.length && (
        <table class="data admin-table audit-table">
          <thead>
            <tr>
              <th scope="col">{at('admin.audit.at')}</th>
              <th scope="col">{at('admin.audit.user')}</th>
              <th scope="col">{at('admin.audit.action')}</th>
              <th scope="col">{at('admin.audit.result')}</th>
              <th scope="col">{at('admin.audit.patient_id')}</th>
              <th scope="col">{at('admin.audit.target')}</th>
              <th scope="col">{at('admin.audit.address')}</th>
            </tr>
          </thead>
          <tbody>
            {events.map((e) => (
              <tr key={e.seq} class={e.result === 'ok' ? '' : 'refused'}>
                <td><time dateTime={e.at}>{formatDateTime(e.at)}</time></td>
                <th scope="row">{people.get(e.actor_id) ?? (e.actor_id ? e.actor_id.slice(0, 8) : '—')}<small class="muted">{facilities.get(e.actor_facility_id) ?? ''}</small></th>
                <td><code>{e.action}</code>{e.detail && <small class="muted">{e.detail}</small>}</td>
                <td class="result">{at(`admin.audit.result.${e.result}` as AdminKey)}</td>
                <td class="id">{e.patient_id ? e.patient_id : '—'}</td>
                <td class="id">{e.resource_type}{e.resource_id && <small class="muted">{(e.resource_type === 'account' && people.get(e.resource_id)) || e.resource_id}</small>}</td>
                <td>{e.address}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {next && <button onClick={more} disabled={load.busy}>{at('admin.audit.more')}</button>}
    </section>
  );
}

/** Pages through everything the filter finds (CSV_PAGE at a time) and saves it as a CSV file. */
function CsvDownload({ filter, people, facilities }: { filter: AuditFilter; people: Map<string, string>; facilities: Map<string, string> }) {
  const [progress, setProgress] = useState<number | null>(null);
  const [done, setDone] = useState('');
  const [err, setErr] = useState('');
  const stop = useRef(false);
  const run = async () => {
    stop.current = false;
    setErr('');
    setDone('');
    setProgress(0);
    const all: AuditEvent[] = [];
    let before: number | undefined;
    try {
      do {
        const r = await auditPage(filter, before, CSV_PAGE);
        all.push(...(r.events ?? []));
        before = r.next || undefined;
        setProgress(all.length);
      } while (before && !stop.current && all.length < CSV_MAX);
    } catch (e) {
      setProgress(null);
      setErr(errorMessage(failure(e)));
      return;
    }
    if (stop.current) return setProgress(null);
    const header = AUDIT_CSV_COLUMNS.map((c) => at(`admin.audit.col.${c}`));
    const blob = new Blob([auditCsv(all, header, people, facilities)], { type: 'text/csv;charset=utf-8' });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = `audit-${tokyoDay()}.csv`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 60_000);
    setProgress(null);
    setDone(before ? at('admin.audit.csv_cap', { n: all.length }) : at('admin.audit.csv_done', { n: all.length }));
  };
  return (
    <div class="row wrap csv">
      {progress === null
        ? <button onClick={run} aria-describedby="adm-csv-hint">{at('admin.audit.csv')}</button>
        : <button onClick={() => (stop.current = true)}>{at('admin.audit.stop')}</button>}
      <small id="adm-csv-hint" class="muted grow">{at('admin.audit.csv_hint')}</small>
      <span role="status" aria-live="polite">{progress !== null ? at('admin.audit.csv_progress', { n: progress }) : done}</span>
      <ErrorNote err={err} />
    </div>
  );
}
