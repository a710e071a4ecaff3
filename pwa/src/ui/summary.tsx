import { useEffect, useState } from 'preact/hooks';
import { age, formatDate, formatEraDate, formatTime, t, tokyoDay, type MessageKey } from '../i18n';
import { rt } from '../i18n/record';
import type { Patient, TeamMember } from '../schemas';
import { getPatient, listRecords, listTeam, me, status, today, type LocalRecord } from '../state';
import { defaultRange, rangeProblem, summarize, type Summary as Data } from '../summary';
import { fhirExportURL, fhirFileName } from '../fhir';
import { ft } from '../i18n/fhir';
import { useData } from './hooks';
import { RecordFields, fieldLabel } from './record-content';
import './summary.css';

// The printable summary of a patient's records over a date range (記録の要約): for a
// referral (紹介) or the patient's disclosure request (個人情報保護法の開示請求).
// An A4 page set in Japanese: a header on every page with who the patient is, the
// range, when and by whom it was printed; page numbers in the page margin; the
// vitals table, every record with its fields, and the pages of the documents.
// Made from what the device holds (works offline); the browser prints it
// (window.print). Only the document thumbnails come from the server, which audits
// each read of them (attachment.read).

export function Summary({ patientId }: { patientId: string }) {
  const patient = useData(() => getPatient(patientId).then((p) => p ?? null), [patientId]);
  const records = useData(() => listRecords(patientId), [patientId]);
  const team = useData(() => listTeam(patientId), [patientId]);
  const initial = defaultRange(today.value);
  const [from, setFrom] = useState(initial.from);
  const [to, setTo] = useState(initial.to);
  const [printedAt, setPrintedAt] = useState(() => new Date());
  useEffect(() => {
    // The time on the sheet is the time it is printed.
    const f = () => setPrintedAt(new Date());
    addEventListener('beforeprint', f);
    return () => removeEventListener('beforeprint', f);
  }, []);

  if (patient === undefined || records === undefined) return <p class="empty">{t('app.loading')}</p>;
  if (patient === null) return <p class="empty">{t('patient.not_found')}</p>;
  const problem = rangeProblem(from, to);
  const data = problem ? null : summarize(records, from, to);
  const print = () => {
    setPrintedAt(new Date());
    // Let the new time render before the print dialog takes the page.
    setTimeout(() => window.print(), 0);
  };
  return (
    <section class="summary-screen" aria-labelledby="sum-h">
      <div class="no-print">
        <a class="button back" href={`#/patients/${patientId}`}>{rt('sum.back', { name: patient.name })}</a>
        <h1 id="sum-h">{rt('sum.title')}</h1>
        <p class="muted">{rt('sum.hint')}</p>
        <form class="sum-form card" onSubmit={(e) => { e.preventDefault(); if (!problem) print(); }} aria-label={rt('sum.form')}>
          <label>{rt('sum.from')}<input type="date" name="from" value={from} max={to || undefined} onInput={(e) => setFrom(e.currentTarget.value)} aria-invalid={problem === 'from' || problem === 'order'} /></label>
          <label>{rt('sum.to')}<input type="date" name="to" value={to} min={from || undefined} onInput={(e) => setTo(e.currentTarget.value)} aria-invalid={problem === 'to'} /></label>
          <button class="primary" type="submit" disabled={!!problem} aria-label={data ? rt('sum.print_label', { from: formatDate(from), to: formatDate(to) }) : undefined}>{rt('sum.print')}</button>
          {problem && <p class="error" role="alert">{rt(`sum.err.${problem}`)}</p>}
        </form>
        {!problem && (
          <p class="muted">
            <a class="button" href={fhirExportURL(patientId, from, to)} download={fhirFileName(from, to)}
              aria-label={ft('fhir.download_label', { from: formatDate(from), to: formatDate(to) })}>{ft('fhir.download')}</a>{' '}
            {ft('fhir.hint')}
          </p>
        )}
        <h2>{rt('sum.preview')}</h2>
      </div>
      {data && <Sheet patient={patient} data={data} team={team ?? []} printedAt={printedAt} />}
    </section>
  );
}

function Sheet({ patient, data, team, printedAt }: { patient: Patient; data: Data<LocalRecord>; team: TeamMember[]; printedAt: Date }) {
  const names = new Map(team.map((m) => [m.user_id, m.name]));
  const when = (iso: string) => `${tokyoDay(iso).replaceAll('-', '/')} ${formatTime(iso)}`;
  const u = me.value;
  const printer = u ? (u.profession ? rt('sum.printer', { name: u.name, profession: t(`profession.${u.profession}` as MessageKey) }) : u.name) : '';
  // Document images come from the server (each read audited there); offline, their captions only.
  const online = status.value?.online ?? navigator.onLine;
  return (
    <article class="sum-sheet" aria-label={rt('sum.title')}>
      <table class="sum-frame" role="presentation">
        <thead>
          <tr>
            <td>
              <header class="sum-head">
                <p class="sum-doc-title">{rt('sum.title')}</p>
                <dl class="sum-id">
                  <div><dt>{rt('sum.patient')}</dt><dd><strong class="sum-name">{patient.name}</strong> ({patient.name_kana})</dd></div>
                  {patient.birth_date && <div><dt>{rt('sum.born')}</dt><dd>{formatEraDate(patient.birth_date)}({t('patient.age', { n: age(patient.birth_date) })})</dd></div>}
                  {patient.address && <div class="wide"><dt>{rt('sum.address')}</dt><dd>{patient.address}</dd></div>}
                  <div class="wide"><dt>{rt('sum.range')}</dt><dd>{rt('sum.range_value', { from: formatDate(data.from), to: formatDate(data.to) })} · {rt('sum.count', { n: data.records.length })}</dd></div>
                  <div class="wide"><dt>{rt('sum.printed')}</dt><dd>{rt('sum.printed_value', { when: `${formatDate(printedAt)} ${formatTime(printedAt)}`, name: printer })}</dd></div>
                </dl>
              </header>
            </td>
          </tr>
        </thead>
        <tbody>
          <tr>
            <td>
              {data.columns.length > 0 && (
                <section class="sum-section" aria-labelledby="sum-vitals-h">
                  <h2 id="sum-vitals-h">{rt('sum.vitals')}</h2>
                  <table class="sum-vitals">
                    <caption>{rt('sum.vitals_caption')}</caption>
                    <thead>
                      <tr>
                        <th scope="col">{rt('sum.when')}</th>
                        {data.columns.map((k) => <th key={k} scope="col">{fieldLabel(`vitals.${k}`)}</th>)}
                      </tr>
                    </thead>
                    <tbody>
                      {data.vitals.map((row) => (
                        <tr key={row.record_id}>
                          <th scope="row">{when(row.occurred_at)}</th>
                          {data.columns.map((k) => (
                            <td key={k} class={row.flagged.includes(k) ? 'flagged' : ''}>
                              {row.values[k] ?? ''}{row.flagged.includes(k) && rt('sum.flagged')}
                            </td>
                          ))}
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </section>
              )}
              <section class="sum-section" aria-labelledby="sum-records-h">
                <h2 id="sum-records-h">{rt('sum.records')}</h2>
                {data.records.length === 0 && <p>{rt('sum.no_records')}</p>}
                {data.records.map((r) => (
                  <section key={r.id} class="sum-record">
                    <h3>
                      {when(r.occurred_at)} {t(`kind.${r.kind}` as MessageKey)}
                      <span class="sum-author">{rt('sum.author', { name: names.get(r.author_id) ?? '—' })}</span>
                      {r.version > 1 && <span class="tag">{t('patient.amended', { n: r.version })}</span>}
                      {r.pending && <span class="tag">{rt('sum.pending')}</span>}
                    </h3>
                    {r.vitals && r.status !== 'entered_in_error' && <VitalsLine r={r} />}
                    <RecordFields c={r} />
                  </section>
                ))}
              </section>
              {data.documents.length > 0 && (
                <section class="sum-section" aria-labelledby="sum-docs-h">
                  <h2 id="sum-docs-h">{rt('sum.documents')}</h2>
                  {!online && <p class="muted">{rt('sum.docs_offline')}</p>}
                  <div class="sum-docs">
                    {data.documents.flatMap((r) => (r.attachment_ids ?? []).map((a, i) => {
                      const title = `${when(r.occurred_at)} ${r.fields?.title || t(`kind.${r.kind}` as MessageKey)}`;
                      const caption = rt('sum.page_of', { title, n: i + 1 });
                      return (
                        <figure key={a}>
                          {online && <img src={`/api/v1/attachments/${encodeURIComponent(a)}/thumbnail?redirect=1`} alt={caption} />}
                          <figcaption>{caption}</figcaption>
                        </figure>
                      );
                    }))}
                  </div>
                </section>
              )}
            </td>
          </tr>
        </tbody>
      </table>
    </article>
  );
}

/** The vitals of one record on one line (the table above has them all side by side). */
function VitalsLine({ r }: { r: LocalRecord }) {
  const s = summarize([r], tokyoDay(r.occurred_at), tokyoDay(r.occurred_at));
  const row = s.vitals[0];
  if (!row) return null;
  return (
    <p class="sum-vitals-line">
      {s.columns.map((k) => `${fieldLabel(`vitals.${k}`)} ${row.values[k]}${row.flagged.includes(k) ? rt('sum.flagged') : ''}`).join(' / ')}
    </p>
  );
}
