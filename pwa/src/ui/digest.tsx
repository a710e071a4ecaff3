// The doctor's (and dentist's) home: what is new across my patients since I last
// looked (新着のまとめ), above today's visits. The server keeps "last looked" and
// decides what is new and what the caller may read (GET /me/digest); 確認済みにする
// moves it forward (POST /me/digest/seen). The last digest fetched is kept sealed
// on the device, so that offline the doctor still reads it, with its time.
// Loaded lazily (ui/lazy.tsx).

import { useEffect, useState } from 'preact/hooks';
import { errorMessage, formatDate, formatDateTime, type MessageKey, t } from '../i18n';
import { dt, type DigestKey } from '../i18n/digest';
import type { Digest, DigestPatient } from '../schemas';
import { api, cacheDigest, cachedDigest, describeError, listPatients, me, status } from '../state';
import { flagText, vitalsAcross } from '../digest';
import './digest.css';

interface Held { user_id: string; fetched_at: string; digest: Digest }

const recordHref = (patientId: string, recordId: string) => `#/patients/${encodeURIComponent(patientId)}/records/${encodeURIComponent(recordId)}`;
const prof = (p: string) => t(`profession.${p}` as MessageKey);
const kind = (k: string) => t(`kind.${k}` as MessageKey);

export default function DigestHome() {
  const myId = me.value?.id ?? '';
  const [held, setHeld] = useState<{ h: Held; cached: boolean } | null | undefined>(undefined);
  const [err, setErr] = useState('');
  const [msg, setMsg] = useState('');
  const [busy, setBusy] = useState(false);
  const online = status.value?.online ?? navigator.onLine;

  const load = async () => {
    try {
      const digest = await api.request<Digest>('GET', '/me/digest');
      const h: Held = { user_id: myId, fetched_at: new Date().toISOString(), digest };
      setHeld({ h, cached: false });
      setErr('');
      await cacheDigest(h as unknown as Record<string, unknown>);
    } catch (e) {
      const c = await cachedDigest<Held>().catch(() => undefined);
      const code = describeError(e);
      setErr(code === 'network' ? '' : code);
      if (!c || c.user_id !== myId) return setHeld(null);
      // A patient a complete sync after the fetch took off this device (the user left the
      // team) leaves the kept digest too. Before such a sync the device's list proves nothing.
      const synced = status.value?.lastSyncAt ?? 0;
      const held = new Set((await listPatients()).map((p) => p.id));
      const kept = (c.digest.patients ?? []).filter((p) => held.has(p.patient_id));
      if (synced > Date.parse(c.fetched_at) && kept.length !== (c.digest.patients ?? []).length) {
        c.digest = { ...c.digest, patients: kept };
        await cacheDigest(c as unknown as Record<string, unknown>);
      }
      setHeld({ h: c, cached: true });
    }
  };
  useEffect(() => {
    void load();
  }, [myId, online]); // eslint-disable-line react-hooks/exhaustive-deps

  const seen = async (until: string) => {
    setBusy(true);
    setMsg('');
    try {
      await api.request('POST', '/me/digest/seen', { body: { until } });
      await load();
      setMsg(dt('digest.seen_done'));
    } catch (e) {
      const code = describeError(e);
      setErr(code === 'network' ? '' : code);
      if (code === 'network') setMsg(dt('digest.seen_offline'));
    } finally {
      setBusy(false);
    }
  };

  if (held === undefined) return <p class="empty">{t('app.loading')}</p>;
  const d = held?.h.digest;
  const patients = d?.patients ?? [];
  const flagged = vitalsAcross(patients);
  return (
    <section class="digest" aria-labelledby="digest-h">
      <div class="row">
        <h1 id="digest-h" class="grow">{dt('digest.title')}</h1>
        {d && patients.length > 0 && (
          <button class="primary" disabled={busy || held.cached || !online} onClick={() => seen(d.until)}>{dt('digest.seen')}</button>
        )}
      </div>
      {d && <p class="muted">{dt('digest.since', { since: formatDateTime(d.since) })}</p>}
      {held?.cached && <p class="notice" role="status">{dt('digest.cached', { time: formatDateTime(held.h.fetched_at) })}</p>}
      {!d && !err && <p class="notice" role="status">{dt('digest.offline_none')}</p>}
      {err && <p class="error" role="alert">{dt('digest.load_failed')} {errorMessage(err)}</p>}
      {msg && <p class="done-msg" role="status">{msg}</p>}
      {d?.truncated && <p class="notice">{dt('digest.truncated')}</p>}
      {d && patients.length === 0 && <p class="empty">{dt('digest.nothing')}</p>}

      {flagged.length > 0 && (
        <section class="digest-vitals" aria-labelledby="digest-vitals-h">
          <h2 id="digest-vitals-h">{dt('digest.vitals_title', { n: flagged.length })}</h2>
          <ul class="list">
            {flagged.map(({ p, v }) => (
              <li key={v.record_id}>
                <a class="row" href={recordHref(p.patient_id, v.record_id)}>
                  <span class="grow">
                    <strong>{p.name}</strong>
                    <span class="flags">{(v.flags ?? []).map((f) => <span key={f.field} class="tag warn">{flagText(f, dt)}</span>)}</span>
                    <small>{dt('digest.by', { name: v.author_name, prof: prof(v.author_profession) })} · <time dateTime={v.occurred_at}>{formatDateTime(v.occurred_at)}</time></small>
                  </span>
                </a>
              </li>
            ))}
          </ul>
        </section>
      )}

      {patients.map((p) => <PatientDigest key={p.patient_id} p={p} />)}
    </section>
  );
}

function PatientDigest({ p }: { p: DigestPatient }) {
  const counts = (p.by_profession ?? []).map((c) => dt('digest.count', { prof: prof(c.profession), n: c.count })).join(' · ');
  const hid = `digest-p-${p.patient_id}`;
  const news = p.new_records ?? [];
  return (
    <article class="digest-patient card" aria-labelledby={hid}>
      <h2 id={hid}><a href={`#/patients/${encodeURIComponent(p.patient_id)}`}><ruby>{p.name}<rt>{p.name_kana}</rt></ruby></a></h2>
      {counts && <p class="muted">{counts}</p>}

      {(p.reports_to_doctor ?? []).length > 0 && (
        <Block title="digest.reports">
          {(p.reports_to_doctor ?? []).map((r) => (
            <li key={r.record_id}>
              <a href={recordHref(p.patient_id, r.record_id)}>
                <span class="grow">
                  {r.flagged && <span class="tag warn">{dt('digest.flagged')}</span>}
                  {r.report && <span class="text">{r.report}</span>}
                  {(r.leftovers ?? []).map((l) => <span key={l.name} class="tag">{dt('digest.leftover', { name: l.name, n: l.leftover })}</span>)}
                  {r.adherence && r.adherence !== 'unknown' && <span class="tag">{dt('digest.adherence', { a: dt(`digest.adherence.${r.adherence}` as DigestKey) })}</span>}
                  <small>{dt('digest.by', { name: r.author_name, prof: prof(r.author_profession) })} · <time dateTime={r.occurred_at}>{formatDateTime(r.occurred_at)}</time></small>
                </span>
              </a>
            </li>
          ))}
        </Block>
      )}

      {(p.plan_changes ?? []).length > 0 && (
        <Block title="digest.plan_changes">
          {(p.plan_changes ?? []).map((r) => (
            <li key={r.record_id}>
              <a href={recordHref(p.patient_id, r.record_id)}>
                <span class="grow">
                  <span class="tag">{dt('digest.plan_changed')}</span> {kind(r.kind)}
                  {r.change && <span class="text">{r.change}</span>}
                  <small>{dt('digest.by', { name: r.author_name, prof: prof(r.author_profession) })} · <time dateTime={r.occurred_at}>{formatDateTime(r.occurred_at)}</time></small>
                </span>
              </a>
            </li>
          ))}
        </Block>
      )}

      {(p.instructions_awaiting ?? []).length > 0 && (
        <Block title="digest.instructions">
          {(p.instructions_awaiting ?? []).map((r) => (
            <li key={r.record_id}>
              <a href={recordHref(p.patient_id, r.record_id)}>
                <span class="grow">
                  <span class="text">{r.instruction}</span>
                  <small>
                    {r.valid_until && <>{dt('digest.valid_until', { date: formatDate(r.valid_until) })} · </>}
                    {dt('digest.not_read_by', { names: (r.not_read_by ?? []).map((m) => dt('digest.by', { name: m.name, prof: prof(m.profession) })).join('、') })}
                  </small>
                </span>
              </a>
            </li>
          ))}
        </Block>
      )}

      {(p.awaiting_confirmation ?? []).length > 0 && (
        <Block title="digest.confirmations">
          {(p.awaiting_confirmation ?? []).map((r) => (
            <li key={r.record_id}>
              <a href={recordHref(p.patient_id, r.record_id)}>
                <span class="grow">{kind(r.kind)} <small><time dateTime={r.occurred_at}>{formatDateTime(r.occurred_at)}</time></small></span>
                <span class="tag warn">{t('confirm.awaiting')}</span>
              </a>
            </li>
          ))}
        </Block>
      )}

      {news.length > 0 && (
        <details class="digest-new">
          <summary>{dt('digest.new_records', { n: news.length })}</summary>
          <ul class="list">
            {news.map((r) => (
              <li key={r.record_id}>
                <a class="row" href={recordHref(p.patient_id, r.record_id)}>
                  <span class="grow">
                    {kind(r.kind)}{r.status === 'entered_in_error' && <span class="tag">{dt('digest.entered_in_error')}</span>}
                    <small>{dt('digest.by', { name: r.author_name, prof: prof(r.author_profession) })} · <time dateTime={r.occurred_at}>{formatDateTime(r.occurred_at)}</time></small>
                  </span>
                </a>
              </li>
            ))}
          </ul>
        </details>
      )}
    </article>
  );
}

function Block({ title, children }: { title: DigestKey; children: preact.ComponentChildren }) {
  return (
    <div class="digest-block">
      <h3>{dt(title)}</h3>
      <ul class="list">{children}</ul>
    </div>
  );
}
