import { useEffect, useState } from 'preact/hooks';
import { mayConfirm } from '../authorship';
import { diffContent, previousOf, versionKind, VITAL_ORDER, type Change } from '../diff';
import { formatDateTime, t, type MessageKey } from '../i18n';
import { rt } from '../i18n/record';
import { ct } from '../i18n/channel';
import { receipts } from '../receipts';
import type { Patient, TeamMember, VersionOut } from '../schemas';
import { getPatient, getRecord, listTeam, markRead, me, recordHistory, type LocalRecord } from '../state';
import { useData } from './hooks';
import { ConfirmButton } from './patient';
import { RecordFields, fieldLabel, fieldValue } from './record-content';
import { lazy } from './lazy';
import './record-view.css';

// Slice B: a document's pages in the viewer (page navigation, pinch-zoom), loaded on first use.
const DocumentViewer = lazy(() => import('../scan/viewer').then((m) => m.DocumentViewer));

// One record: what it says (every field of its kind), what the last 訂正 changed,
// the author's 確定 after reading it, who of the team has read it (既読) and who
// has not, and every version with who entered and who confirmed it. The device
// keeps only the current version, so history and readers come from the server
// while online.

const profession = (p: string) => t(`profession.${p}` as MessageKey);
const readSent = new Set<string>();

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
  }, [recordId, local?.version, local?.confirmed_at, local?.pending, local?.read_by_me]);
  const myId = me.value?.id ?? '';
  useEffect(() => {
    // Opening a record (from a notification, say) is reading it: a read receipt for what others wrote.
    const k = `${myId}/${local?.id}`;
    if (!local || local.read_by_me || local.pending || local.author_id === myId || local.entered_by === myId || readSent.has(k)) return;
    readSent.add(k);
    void markRead(local);
  }, [local, myId]);

  if (online === undefined && local === undefined) return <p class="empty">{t('app.loading')}</p>;
  const base = online?.record ?? local;
  if (!base) return <p class="empty">{t('patient.not_found')}</p>;
  // A confirmation made on this device shows at once, before the server has it.
  const r: LocalRecord = local?.confirm_pending ? { ...base, ...pickConfirmation(local) } : base;
  const names = new Map((team ?? []).map((m) => [m.user_id, m.name]));
  const author = names.get(r.author_id) ?? r.versions?.find((v) => v.entered_by === r.author_id)?.entered_by_name ?? t('conflict.someone');
  const what = `${t(`kind.${r.kind}` as MessageKey)} ${formatDateTime(r.occurred_at)}`;
  const versions = r.versions ?? [];
  const cur = versions.find((v) => v.version === r.version);
  const prev = cur && previousOf(versions, cur);
  // Offline the device has the current version only: who entered it still tells 代行入力 from 訂正.
  const how = versionKind(cur ?? { version: r.version, entered_by: r.entered_by || r.author_id }, r.author_id);
  const enteredBy = cur?.entered_by_name ?? names.get(r.entered_by) ?? t('conflict.someone');
  return (
    <section class="record-view" aria-labelledby="rv-h">
      <a class="button back" href={`#/patients/${patientId}`}>{t('record.back', { name: patient?.name ?? '' })}</a>
      <h1 id="rv-h">{what}</h1>
      <p class="meta">
        {t('record.author', { name: author })}
        {how === 'proxy' && <span class="tag">{t('confirm.proxy_tag', { name: enteredBy })}</span>}
        {how === 'correction_by_other' && <span class="tag warn">{t('confirm.correction_tag', { name: enteredBy })}</span>}
        {r.status === 'entered_in_error' && <span class="tag warn">{t('patient.entered_in_error')}</span>}
      </p>
      <div class="card record-body">
        <Vitals r={r} />
        <RecordFields c={r} />
        <Attachments r={r} />
        {r.source_message_id && <p><a href={`#/patients/${patientId}/messages/${r.source_message_id}`}>{ct('chan.from_message')}</a></p>}
      </div>
      {cur && prev && <Changes cur={cur} prev={prev} changes={diffContent(prev, cur)} />}
      {r.awaiting_confirmation && (
        <div class="notice confirm-after">
          <p>{r.author_id !== myId ? t('confirm.hint_other', { name: author })
            : how === 'correction_by_other' ? rt('rv.confirm.correction', { name: enteredBy }) : t('confirm.hint_mine')}</p>
          {mayConfirm(r, myId) && <ConfirmButton rec={r} label={t('confirm.button_label', { what })} />}
        </div>
      )}
      {r.confirm_pending && <p class="notice" role="status">{t('confirm.pending_hint')}</p>}
      <ReadReceipts r={r} online={!!online?.online} team={team ?? []} patient={patient} />
      <h2>{t('history.title')}</h2>
      {!online?.online && <p class="muted">{t('history.offline')}</p>}
      <ol class="versions">
        {[...versions].reverse().map((v) => <Version key={v.version} v={v} prev={previousOf(versions, v)} current={v.version === r.version} authorId={r.author_id} />)}
      </ol>
    </section>
  );
}

function pickConfirmation(l: LocalRecord): Partial<LocalRecord> {
  return { awaiting_confirmation: l.awaiting_confirmation, confirmed_by: l.confirmed_by, confirmed_at: l.confirmed_at, confirm_pending: l.confirm_pending };
}

/** The measured vitals, the server's out-of-range flags marked. */
function Vitals({ r }: { r: LocalRecord }) {
  const flagged = new Set((r.flags ?? []).map((f) => f.field));
  const keys = VITAL_ORDER.filter((k) => r.vitals?.[k] !== undefined && r.vitals?.[k] !== null);
  if (!keys.length) return null;
  return (
    <dl class="vitals">
      {keys.map((k) => {
        const path = `vitals.${k}`;
        return (
          <div key={k} class={flagged.has(path) ? 'abnormal' : ''}>
            <dt>{fieldLabel(path)}</dt>
            <dd>{fieldValue(path, String(r.vitals![k]))}{flagged.has(path) && <span class="sr"> {t('patient.abnormal')}</span>}</dd>
          </div>
        );
      })}
    </dl>
  );
}

/** What version `cur` changed against the version it amended, field by field. */
function Changes({ cur, prev, changes, nested }: { cur: VersionOut; prev: VersionOut; changes: Change[]; nested?: boolean }) {
  const table = changes.length ? (
    <table class="changes-table">
      <caption class="sr">{rt('rv.changes.caption')}</caption>
      <thead>
        <tr>
          <th scope="col">{rt('rv.changes.field')}</th>
          <th scope="col">{rt('rv.changes.before', { n: prev.version })}</th>
          <th scope="col">{rt('rv.changes.after', { n: cur.version })}</th>
        </tr>
      </thead>
      <tbody>
        {changes.map((c) => (
          <tr key={c.path}>
            <th scope="row">{fieldLabel(c.path)}</th>
            <td class="before">{c.before === undefined ? rt('rv.none') : <del>{fieldValue(c.path, c.before)}</del>}</td>
            <td class="after">{c.after === undefined ? rt('rv.none') : <ins>{fieldValue(c.path, c.after)}</ins>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  ) : <p class="muted">{rt('rv.changes.none')}</p>;
  if (nested) return table;
  return (
    <section class="card changes" aria-labelledby="rv-changes-h">
      <h2 id="rv-changes-h">{rt('rv.changes.title', { n: cur.version, name: cur.entered_by_name, when: formatDateTime(cur.created_at) })}</h2>
      {cur.reason && <p><strong>{t('amend.reason')}</strong>: {cur.reason}</p>}
      {table}
    </section>
  );
}

/** 既読: who read it and when; who of those who may read this kind has not yet. */
function ReadReceipts({ r, online, team, patient }: { r: LocalRecord; online: boolean; team: TeamMember[]; patient: Patient | undefined }) {
  if (!online) {
    return (
      <section class="receipts" aria-labelledby="rv-read-h">
        <h2 id="rv-read-h">{rt('rv.receipts.title')}</h2>
        <p class="muted">{rt('rv.receipts.offline', { n: r.read_count ?? 0 })}</p>
      </section>
    );
  }
  const { read, unread } = receipts(r, team, patient?.consent);
  const who = (name: string, p: string) => rt('rv.receipts.who', { name, profession: profession(p) });
  return (
    <section class="receipts card" aria-labelledby="rv-read-h">
      <h2 id="rv-read-h">{rt('rv.receipts.title')}</h2>
      <div class="receipt-cols">
        <div class="receipt-read">
          <h3>{rt('rv.receipts.read_title', { n: read.length })}</h3>
          {read.length ? (
            <ul>
              {read.map((x) => <li key={x.user_id}>{who(x.name, x.profession)} <time dateTime={x.read_at}>{formatDateTime(x.read_at)}</time></li>)}
            </ul>
          ) : <p class="muted">{rt('rv.receipts.none')}</p>}
        </div>
        {patient && team.length > 0 && <div class="receipt-unread">
          <h3>{rt('rv.receipts.unread_title', { n: unread.length })}</h3>
          {unread.length ? (
            <ul>{unread.map((m) => <li key={m.user_id}>{who(m.name, m.profession)}</li>)}</ul>
          ) : <p class="muted">{rt('rv.receipts.all')}</p>}
        </div>}
      </div>
    </section>
  );
}

function Version({ v, prev, current, authorId }: { v: VersionOut; prev: VersionOut | undefined; current: boolean; authorId: string }) {
  const confirmation = v.confirmed_by
    ? t('history.confirmed', { name: v.confirmed_by_name ?? '', when: formatDateTime(v.confirmed_at ?? '') })
    : !v.needs_confirmation ? t('history.by_author')
    : current ? t('confirm.awaiting') : t('history.replaced');
  const how = versionKind(v, authorId);
  return (
    <li class="card">
      <h3>
        {t('history.version', { n: v.version })}{current && ` ${t('history.current')}`}
        {v.status === 'entered_in_error' && <span class="tag warn">{t('patient.entered_in_error')}</span>}
        {how === 'proxy' && <span class="tag">{rt('rv.version.proxy')}</span>}
        {how === 'correction' && <span class="tag">{rt('rv.version.correction')}</span>}
        {how === 'correction_by_other' && <span class="tag warn">{rt('rv.version.correction_by', { name: v.entered_by_name })}</span>}
      </h3>
      <dl class="facts">
        <dt>{t('history.entered')}</dt>
        <dd>{v.entered_by_name}{v.entered_by_profession && ` (${profession(v.entered_by_profession)})`} · <time dateTime={v.created_at}>{formatDateTime(v.created_at)}</time></dd>
        <dt>{t('history.confirmation')}</dt>
        <dd class={v.needs_confirmation && !v.confirmed_by && current ? 'warn' : ''}>{confirmation}</dd>
        {v.reason && <><dt>{t('amend.reason')}</dt><dd>{v.reason}</dd></>}
      </dl>
      {prev && !current && (
        <details>
          <summary>{rt('rv.changes.show')}</summary>
          <Changes cur={v} prev={prev} changes={diffContent(prev, v)} nested />
        </details>
      )}
      {!current && (
        <details>
          <summary>{t('history.content')}</summary>
          <RecordFields c={v} />
        </details>
      )}
    </li>
  );
}

// --- The attachment section (helper B replaces it by the document viewer) ---
/** The record's photos or pages as thumbnails; while still on the device, their count. */
/** Attachments: a document's pages in the viewer (slice B); other kinds' photos as thumbnails. */
function Attachments({ r }: { r: LocalRecord }) {
  const ids = r.attachment_ids ?? [];
  if (!ids.length) return null;
  if (r.kind === 'document') return <DocumentViewer record={r} />;
  return (
    <div class="photos">
      {r.pending
        ? t('patient.photos', { n: ids.length })
        : ids.map((a) => <img key={a} loading="lazy" alt={t('record.photos')} src={`/api/v1/attachments/${encodeURIComponent(a)}/thumbnail?redirect=1`} />)}
    </div>
  );
}
